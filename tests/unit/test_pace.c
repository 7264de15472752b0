#include "check.h"
#include "clock.h"
#include "pace.h"

/* How long pace_rest rested, in microseconds. */
static long long
rest_us(const struct pace *pc, long long batch_us)
{
	long long t0 = clock_monotonic_us();

	pace_rest(pc, batch_us);
	return clock_monotonic_us() - t0;
}

void
test_pace(void)
{
	struct pace pc;

	pace_init(&pc, 25);
	/* Nobody known to write: no rest, whatever the batch took. */
	CHECK("with nobody writing, no rest", rest_us(&pc, 20000) < 10000);
	/* Clients writing, a quarter share: three times the batch. */
	pc.writers = 1;
	CHECK("with writers and a 25% share, three times the batch",
	    rest_us(&pc, 10000) >= 30000);
	/* A full share never rests; nor does a batch of no time. */
	pace_init(&pc, 100);
	pc.writers = 1;
	CHECK("a 100% share never rests", rest_us(&pc, 20000) < 10000);
	pace_init(&pc, 50);
	pc.writers = 1;
	CHECK("a batch of no time gets no rest", rest_us(&pc, 0) < 10000);
	CHECK("with writers and a 50% share, as long as the batch",
	    rest_us(&pc, 10000) >= 10000);
}
