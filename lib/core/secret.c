#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "secret.h"

int
secret_read(const char *path, void *buf, size_t max)
{
	char *p = buf;
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	/* Only a secret of this user's, that no one else may read or have
	 * written: a file another user left in the folder is no secret. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		log_warn("%s: a secret must be a file of this user's (uid %d), "
		    "mode 0600", path, (int)geteuid());
		close(fd);
		errno = EPERM;
		return -1;
	}
	n = read(fd, buf, max);
	close(fd);
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (n <= 0) {
		errno = n == 0 ? ENODATA : errno;
		return -1;
	}
	return (int)n;
}

int
secret_password_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/redis-%s.pass", dir, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}
