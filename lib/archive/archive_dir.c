#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_dir.h"
#include "segment_read.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct archive_segment *)a)->name,
	    ((const struct archive_segment *)b)->name);
}

static int
list_add(struct archive_list *list, size_t *cap, const char *name,
    const struct stream_id *first, const struct stream_id *last)
{
	struct archive_segment *v;

	if (list->n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		if ((v = realloc(list->v, *cap * sizeof(*v))) == NULL)
			return -1;
		list->v = v;
	}
	v = &list->v[list->n++];
	/* archive_name_parse took only names of ARCHIVE_NAME_LEN bytes. */
	memcpy(v->name, name, ARCHIVE_NAME_MAX);
	v->first = *first;
	v->last = *last;
	return 0;
}

int
archive_list(const char *dir, struct archive_list *list, char *err,
    size_t errlen)
{
	struct stream_id first, last;
	struct dirent *d;
	size_t cap = 0;
	DIR *dp;

	memset(list, 0, sizeof(*list));
	if ((dp = opendir(dir)) == NULL)
		return snprintf(err, errlen, "%s: cannot list: %s", dir,
		    strerror(errno)), -1;
	while ((d = readdir(dp)) != NULL) {
		if (archive_name_parse(d->d_name, &first, &last) == -1)
			continue;
		if (list_add(list, &cap, d->d_name, &first, &last) == -1) {
			closedir(dp);
			archive_list_free(list);
			return snprintf(err, errlen, "%s: out of memory",
			    dir), -1;
		}
	}
	closedir(dp);
	if (list->n > 0)
		qsort(list->v, list->n, sizeof(*list->v), by_name);
	return 0;
}

void
archive_list_free(struct archive_list *list)
{
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/* A segment's own ids in order, after those of the one before. */
static int
check_range(const char *dir, const struct archive_segment *s,
    const struct archive_segment *before, char *err, size_t errlen)
{
	char path[ARCHIVE_ERROR_MAX / 2];

	snprintf(path, sizeof(path), "%s/%s", dir, s->name);
	if (stream_id_cmp(&s->first, &s->last) > 0)
		return archive_error(err, errlen, path, &s->first, &s->last,
		    "its name's first id is after its last");
	if (before != NULL && stream_id_cmp(&s->first, &before->last) <= 0)
		return archive_error(err, errlen, path, &s->first, &s->last,
		    "its ids overlap those of %s", before->name);
	return 0;
}

int
archive_check_chain(const char *dir, const char *stream,
    const struct archive_list *list, char *err, size_t errlen)
{
	static const struct stream_id zero;
	const struct archive_segment *before = NULL;
	struct segment_reader *r;
	size_t i;

	for (i = 0; i < list->n; before = &list->v[i++]) {
		if (check_range(dir, &list->v[i], before, err, errlen) == -1)
			return -1;
		if (segment_open(&r, dir, list->v[i].name, stream,
		    before != NULL ? &before->last : &zero, err, errlen) == -1)
			return -1;
		segment_close(r);
	}
	return 0;
}

int
archive_verify(const char *dir, const char *stream, char *err, size_t errlen)
{
	static const struct stream_id zero;
	struct archive_list list;
	size_t i;
	int rc = 0;

	if (archive_list(dir, &list, err, errlen) == -1)
		return -1;
	if (archive_check_chain(dir, stream, &list, err, errlen) == -1)
		rc = -1;
	for (i = 0; rc == 0 && i < list.n; i++)
		rc = segment_verify(dir, list.v[i].name, stream,
		    i > 0 ? &list.v[i - 1].last : &zero, err, errlen);
	archive_list_free(&list);
	return rc;
}
