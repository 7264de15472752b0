#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "report.h"
#include "retention.h"

void
report_init(struct report *r, const char *stream, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->stream = stream;
	r->name = name;
}

void
report_set(struct report *r, const struct stream_id *pos)
{
	if (r->known && stream_id_cmp(&r->pos, pos) == 0)
		return;
	r->pos = *pos;
	r->known = 1;
	r->due = 1;
}

void
report_tick(struct report *r, struct redis_conn *rc)
{
	int64_t ms = clock_monotonic_us() / 1000;
	char why[sizeof(r->shown)];

	if (!r->known || (!r->due && ms - r->sent_ms < REPORT_HEARTBEAT_MS))
		return;
	r->sent_ms = ms;
	r->due = 0;
	if (retention_report_quiet(rc, r->stream, RETENTION_KIND_WORKER,
	    r->name, &r->pos, NULL, why, sizeof(why)) == 0) {
		if (r->shown[0] != '\0')
			log_info("position report: accepted again");
		r->shown[0] = '\0';
		return;
	}
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "redis unreachable");
	/* Once per kind: it is tried again at the next checkpoint. */
	if (strcmp(why, r->shown) != 0) {
		log_warn("position report as worker:%s: %s; going on (should "
		    "trimming pass it, the archive has the rest)", r->name, why);
		snprintf(r->shown, sizeof(r->shown), "%s", why);
	}
}
