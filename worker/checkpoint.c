#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "log.h"

int
checkpoint_read(const char *path, struct stream_id *id)
{
	char buf[STREAM_ID_MAX + 2];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return stream_id_parse(buf, id);
}

static int
fsync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -1;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
checkpoint_write(const char *path, const struct stream_id *id)
{
	char tmp[PATH_MAX], text[STREAM_ID_MAX + 1];
	size_t len;
	int fd = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -1;
	stream_id_format(id, text);
	len = strlen(text);
	text[len++] = '\n';
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		goto fail;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1 || fsync_dir(path) == -1)
		goto fail;
	return 0;
fail:
	log_syswarn("checkpoint %s", path);
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}
