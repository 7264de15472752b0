#include <sys/stat.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

int
privdrop(void)
{
	const char *name = getenv("RUN_USER");
	struct passwd *pw;

	umask(077);
	if (geteuid() != 0)
		return 0;
	if (name == NULL || *name == '\0')
		name = "microsvc";
	if ((pw = getpwnam(name)) == NULL || pw->pw_uid == 0) {
		log_warn("started as root, and RUN_USER %s is not an unprivileged "
		    "user (make run creates it)", name);
		return -1;
	}
	if (initgroups(name, pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		log_syswarn("cannot become %s", name);
		return -1;
	}
	if (setuid(0) != -1) {
		log_warn("could become root again after dropping to %s", name);
		return -1;
	}
	return 0;
}
