#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "health.h"
#include "log.h"

#define HEALTH_MAX 256

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
