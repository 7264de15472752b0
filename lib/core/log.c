#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "microsvc";

void
log_init(const char *prog)
{
	log_prog = prog;
}

void
log_msg(enum log_level level, int with_errno, const char *fmt, ...)
{
	static const char *const names[] = { "info", "warn", "error" };
	char msg[1024], line[2300], ts[32] = "";
	const char *m;
	size_t n;
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	int saved = errno;

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
	line[n++] = '\n';
	/* One write per line, so that lines of processes sharing stderr do not interleave. */
	if (write(STDERR_FILENO, line, n) == -1)
		errno = saved;
	errno = saved;
}
