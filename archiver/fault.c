/* TEST-ONLY: see fault.h.  Nothing here runs unless ARCHIVER_FAULT is set. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"

/* Fire at one of the first 3 times: a test runs for a few segments. */
#define FAULT_TIMES_MAX	3

static const char *const names[] = {
	[ARCHIVER_FAULT_BEFORE_COMMIT] = "before-commit",
	[ARCHIVER_FAULT_AFTER_COMMIT] = "after-commit",
	[ARCHIVER_FAULT_AFTER_REPORT] = "after-report",
	[ARCHIVER_FAULT_MID_TRIM] = "mid-trim",
};

static enum archiver_fault armed;
static long countdown;

int
archiver_fault_init(void)
{
	const char *v = getenv("ARCHIVER_FAULT");
	size_t i;

	if (v == NULL || *v == '\0')
		return 0;
	for (i = ARCHIVER_FAULT_BEFORE_COMMIT; i <= ARCHIVER_FAULT_MID_TRIM; i++)
		if (strcmp(v, names[i]) == 0)
			armed = (enum archiver_fault)i;
	if (armed == ARCHIVER_FAULT_NONE) {
		log_warn("ARCHIVER_FAULT=%s: expected before-commit, "
		    "after-commit, after-report or mid-trim", v);
		return -1;
	}
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	countdown = 1 + random() % FAULT_TIMES_MAX;
	log_warn("ARCHIVER_FAULT=%s armed (test only)", v);
	return 0;
}

void
archiver_fault_at(enum archiver_fault step)
{
	if (armed == ARCHIVER_FAULT_NONE || step != armed || --countdown != 0)
		return;
	log_warn("ARCHIVER_FAULT: killing myself %s", names[step]);
	raise(SIGKILL);
}
