#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "archiver.h"

/*
 * A problem that lasts (too few replicas, a trimmed stream, a full disk)
 * is retried every few seconds for as long as it lasts: one line when it
 * starts and one when it ends, not one a try.
 */
void
archiver_problem(struct archiver *a, enum log_level level,
    const char *fmt, ...)
{
	char line[PROBLEM_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (strcmp(line, a->shown) == 0)
		return;
	log_msg(level, 0, "%s", line);
	snprintf(a->shown, sizeof(a->shown), "%s", line);
}

void
archiver_clear(struct archiver *a)
{
	if (a->shown[0] == '\0')
		return;
	log_info("resolved: %s", a->shown);
	a->shown[0] = '\0';
}
