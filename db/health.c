#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "health.h"
#include "log.h"

void
health_report(const char *path, const char *problem)
{
	static char shown[HEALTH_MAX], failed[HEALTH_MAX];
	char line[HEALTH_MAX], tmp[PATH_MAX];
	FILE *f;
	int n;

	n = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(),
	    problem != NULL ? problem : "ok");
	if (n < 0 || strcmp(line, shown) == 0 || strcmp(line, failed) == 0)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return;
	/* Advisory: no fsync; a lost update is remade by the next change. */
	if ((f = fopen(tmp, "w")) == NULL)
		goto fail;
	if (fputs(line, f) == EOF) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1)
		goto fail;
	snprintf(shown, sizeof(shown), "%s", line);
	failed[0] = '\0';
	return;
fail:
	/* Once per state: a full disk must not flood the log. */
	log_syswarn("health %s", path);
	snprintf(failed, sizeof(failed), "%s", line);
	unlink(tmp);
}

void
health_read(const char *path, char *out, size_t len)
{
	char line[HEALTH_MAX], *end;
	FILE *f;
	long pid;

	snprintf(out, len, "unknown (no health file)");
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	pid = strtol(line, &end, 10);
	if (pid <= 0 || *end != ' ')
		return;
	if (kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		snprintf(out, len, "not running");
	else
		snprintf(out, len, "%s", end + 1);
}
