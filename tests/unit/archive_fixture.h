/*
 * Archives made for the unit tests: a folder of their own, segments of
 * made-up entries (some without a type or a payload, one with a NUL in
 * its payload), and the entries compared with what a reader gives back.
 */
#ifndef ARCHIVE_FIXTURE_H
#define ARCHIVE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "archive_format.h"
#include "stream.h"

#define FIXTURE_STREAM	"event-stream"

/* A new empty folder under TMPDIR (or /tmp), in dir; 0 or -1. */
int	fixture_dir(char dir[64]);
/* The folder and every file in it removed. */
void	fixture_rmdir(const char *dir);

/* The i-th made-up entry: id <1000 + i>-<i % 3>; its bytes in buf. */
void	fixture_entry(uint64_t i, struct stream_entry *e, char buf[256]);
/* Whether a read entry is the i-th made-up one. */
int	fixture_entry_is(uint64_t i, const struct stream_entry *e);

/*
 * One committed segment of the entries from..to-1 in dir, at a zstd level
 * (0: plain); its name in name.  0, or -1 with the error printed.
 */
int	fixture_segment(const char *dir, const char *stream, int level,
	    uint64_t from, uint64_t to, char name[ARCHIVE_NAME_MAX]);

/* The whole file dir/name in *buf (malloc'd), its size in *len; 0 or -1. */
int	fixture_slurp(const char *dir, const char *name, unsigned char **buf,
	    size_t *len);
/* len bytes at buf as the file dir/name; 0 or -1. */
int	fixture_spill(const char *dir, const char *name,
	    const unsigned char *buf, size_t len);

#endif
