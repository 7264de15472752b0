#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "gcra.h"
#include "log.h"

static const char *log_prog = "microsvc";

/* log_bound's: 0 lines a second, no bound. */
static int64_t log_interval_us, log_burst_us;

void
log_bound(int per_second, int burst)
{
	log_interval_us = per_second > 0 ? 1000000 / per_second : 0;
	log_burst_us = log_interval_us * burst;
}

/* 1 if this line may be written now; counts it in *dropped if not. */
static int
log_allowed(unsigned long *dropped)
{
	static int64_t tat;

	if (log_interval_us == 0 || gcra_take(&tat, clock_monotonic_us(),
	    log_interval_us, log_burst_us, 0) == 0)
		return 1;
	(*dropped)++;
	return 0;
}

void
log_init(const char *prog)
{
	log_prog = prog;
}

void
log_msg(enum log_level level, int with_errno, const char *fmt, ...)
{
	static const char *const names[] = { "info", "warn", "error" };
	static unsigned long dropped;
	char msg[1024], line[2300], ts[32] = "";
	const char *m;
	size_t n;
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	int saved = errno;

	if (!log_allowed(&dropped))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if (gmtime_r(&now, &tm) != NULL)
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = (size_t)snprintf(line, sizeof(line), "ts=%s level=%s prog=%s "
	    "pid=%ld msg=\"", ts, names[level], log_prog, (long)getpid());
	/* logfmt quoting: escape what could end the value or the line. */
	for (m = msg; *m != '\0' && n + 4 < sizeof(line); m++) {
		if (*m == '"' || *m == '\\') {
			line[n++] = '\\';
			line[n++] = *m;
		} else if (*m == '\n') {
			line[n++] = '\\';
			line[n++] = 'n';
		} else if ((unsigned char)*m < 0x20)
			line[n++] = '?';
		else
			line[n++] = *m;
	}
	line[n++] = '"';
	if (dropped > 0 && n + 48 < sizeof(line)) {
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    " dropped=%lu", dropped);
		dropped = 0;
	}
	line[n++] = '\n';
	/* One write per line, so that lines of processes sharing stderr do not interleave. */
	if (write(STDERR_FILENO, line, n) == -1)
		errno = saved;
	errno = saved;
}
