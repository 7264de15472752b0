/*
 * Redis stream ids ("<ms>-<seq>") as pairs of 64-bit numbers: string
 * comparison would order "10-0" before "9-0".
 */
#ifndef STREAM_ID_H
#define STREAM_ID_H

#include <stdint.h>

#define STREAM_ID_MAX 42	/* two 20-digit numbers, '-', NUL */

struct stream_id {
	uint64_t	ms;
	uint64_t	seq;
};

int	stream_id_parse(const char *s, struct stream_id *id);
int	stream_id_cmp(const struct stream_id *a, const struct stream_id *b);
void	stream_id_format(const struct stream_id *id, char buf[STREAM_ID_MAX]);

#endif
