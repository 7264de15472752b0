#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "shm.h"

void *
shm_map(const char *var_dir, const char *name, const char *service,
    size_t size)
{
	return shm_map_fd(var_dir, name, service, size, NULL);
}

void *
shm_map_fd(const char *var_dir, const char *name, const char *service,
    size_t size, int *fd_out)
{
	char path[PATH_MAX];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s-%s.bin", var_dir, name, service);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		log_syswarn("%s off: %s", name, path);
		return NULL;
	}
	/* Every process sizes it the same. */
	if (fstat(fd, &st) == -1 || ((size_t)st.st_size != size &&
	    ftruncate(fd, (off_t)size) == -1)) {
		log_syswarn("%s off: %s", name, path);
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		log_syswarn("%s off: mmap %s", name, path);
		close(fd);
		return NULL;
	}
	if (fd_out != NULL)
		*fd_out = fd;
	else
		close(fd);
	return p;
}
