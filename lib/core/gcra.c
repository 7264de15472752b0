#include "gcra.h"

int
gcra_take(int64_t *tat, int64_t now_us, int64_t cost_us, int64_t burst_us,
    int force)
{
	int64_t next = (*tat > now_us ? *tat : now_us) + cost_us;

	if (next - now_us <= burst_us) {
		*tat = next;
		return 0;
	}
	if (force) {
		*tat = now_us + burst_us;
		return 0;
	}
	return (int)((next - burst_us - now_us + 999999) / 1000000);
}

void
gcra_charge(int64_t *tat, int64_t now_us, int64_t cost_us)
{
	*tat = (*tat > now_us ? *tat : now_us) + cost_us;
}
