/*
 * Memory shared by every process of one service: a small file in VAR_DIR
 * that each process maps (MAP_SHARED), so that whichever process answers
 * sees what the others did, and a FastCGI restart loses nothing.
 */
#ifndef SHM_H
#define SHM_H

#include <stddef.h>

/*
 * $var_dir/<name>-<service>.bin, size bytes, mapped; a new file reads as
 * zeros.  NULL (logged) if it cannot be; the caller runs without.
 */
void	*shm_map(const char *var_dir, const char *name, const char *service,
	    size_t size);
/* The same, keeping the file open in *fd_out (for flock). */
void	*shm_map_fd(const char *var_dir, const char *name,
	    const char *service, size_t size, int *fd_out);

#endif
