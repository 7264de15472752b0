#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "fault.h"
#include "report.h"
#include "retention.h"

void
archiver_position(const struct archiver *a, struct stream_id *pos)
{
	if (!scrub_held(a, pos))
		*pos = a->committed;
}

int
archiver_report(struct archiver *a)
{
	const struct config *cfg = a->cfg;
	struct stream_id mark, pos;

	stream_reader_drop(&a->rd);
	a->reported_us = clock_monotonic_us();
	archiver_position(a, &pos);
	if (retention_report(a->rc, cfg->stream_key, RETENTION_KIND_ARCHIVE,
	    cfg->consumer_name, &pos, &mark) == -1) {
		log_warn("the position was not reported (consumer_report); "
		    "trying again in %d s", REPORT_MS / 1000);
		return -1;
	}
	return 0;
}

/*
 * Why nothing may go, once per reason: "archive b has not reported" is
 * an ARCHIVE_COPIES naming a copy that does not run, which only the log
 * would otherwise show.  "nothing may go yet" is the usual state.
 */
static void
say_why(const char *why)
{
	static char shown[RETENTION_WHY_MAX];

	if (*why == '\0' || strcmp(why, "nothing may go yet") == 0 ||
	    strcmp(why, shown) == 0)
		return;
	snprintf(shown, sizeof(shown), "%s", why);
	log_warn("nothing is trimmed: %s", why);
}

void
archiver_trim_pass(struct archiver *a)
{
	struct stream_id mark;
	char id[STREAM_ID_MAX], why[RETENTION_WHY_MAX] = "";
	long long n = 0, got = 0;
	int calls;

	stream_reader_drop(&a->rd);
	for (calls = 0; calls < TRIM_CALLS; calls++) {
		got = retention_trim_step(a->rc, a->cfg->stream_key, &mark,
		    why);
		if (got <= 0)
			break;
		n += got;
		archiver_fault_at(ARCHIVER_FAULT_MID_TRIM);
	}
	if (got == 0)
		say_why(why);
	a->trim_more = got > 0;
	if (got == -1)
		log_warn("stream_trim failed; trying again at the next report");
	if (n > 0) {
		stream_id_format(&mark, id);
		log_info("trimmed %lld entries: the stream now starts after %s",
		    n, id);
	}
}
