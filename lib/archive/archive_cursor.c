#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_cursor.h"
#include "segment_read.h"

struct archive_cursor {
	char			 dir[PATH_MAX];
	char			 stream[ARCHIVE_STREAM_MAX + 1];
	struct archive_list	 list;
	size_t			 seg;		/* the next segment to open */
	struct segment_reader	*r;		/* the one being read */
	struct stream_id	 after;		/* hand out what follows */
	char			 error[ARCHIVE_ERROR_MAX];
};

/* Where an entry's strings sit in the batch's store, before it moves. */
struct spans {
	size_t	id, type, payload;
};

int
archive_cursor_open(struct archive_cursor **cp, const char *dir,
    const char *stream, const struct stream_id *after, char *err,
    size_t errlen)
{
	struct archive_cursor *c;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return snprintf(err, errlen, "%s: out of memory", dir), -1;
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->stream, sizeof(c->stream), "%s", stream);
	c->after = *after;
	if (archive_list(dir, &c->list, err, errlen) == -1 ||
	    archive_check_chain(dir, stream, &c->list, err, errlen) == -1) {
		archive_cursor_close(c);
		return -1;
	}
	/* The segments wholly at or before after are not read at all. */
	while (c->seg < c->list.n &&
	    stream_id_cmp(&c->list.v[c->seg].last, after) <= 0)
		c->seg++;
	*cp = c;
	return 0;
}

/* The next segment verified, then opened to read: 1, 0 if none is left, -1. */
static int
next_segment(struct archive_cursor *c)
{
	static const struct stream_id zero;
	const struct stream_id *prev;
	const char *name;

	if (c->seg >= c->list.n)
		return 0;
	prev = c->seg > 0 ? &c->list.v[c->seg - 1].last : &zero;
	name = c->list.v[c->seg].name;
	if (segment_verify(c->dir, name, c->stream, prev, c->error,
	    sizeof(c->error)) == -1 ||
	    segment_open(&c->r, c->dir, name, c->stream, prev, c->error,
	    sizeof(c->error)) == -1)
		return -1;
	c->seg++;
	return 1;
}

/* The next record after c->after: 1, 0 at the end of the archive, -1. */
static int
next_record(struct archive_cursor *c, struct segment_record *rec)
{
	int rc;

	for (;;) {
		if (c->r == NULL && (rc = next_segment(c)) <= 0)
			return rc;
		if ((rc = segment_next(c->r, rec)) == -1) {
			snprintf(c->error, sizeof(c->error), "%s",
			    segment_error(c->r));
			return -1;
		}
		if (rc == 0) {
			segment_close(c->r);
			c->r = NULL;
		} else if (stream_id_cmp(&rec->id, &c->after) > 0) {
			c->after = rec->id;
			return 1;
		}
	}
}

/* n bytes and a NUL at the end of the store; their offset in *off. */
static int
store_add(struct archive_batch *b, size_t *cap, size_t *len, const void *p,
    size_t n, size_t *off)
{
	char *s;

	while (*len + n + 1 > *cap) {
		*cap = *cap == 0 ? 65536 : *cap * 2;
		if ((s = realloc(b->store, *cap)) == NULL)
			return -1;
		b->store = s;
	}
	if (n > 0)
		memcpy(b->store + *len, p, n);
	b->store[*len + n] = '\0';
	*off = *len;
	*len += n + 1;
	return 0;
}

static int
entry_add(struct archive_batch *b, struct spans *sp, size_t *cap,
    size_t *len, const struct segment_record *rec)
{
	struct stream_entry *e = &b->batch.entries[b->batch.n];
	char id[STREAM_ID_MAX];

	stream_id_format(&rec->id, id);
	e->id = rec->id;
	e->type_len = rec->type_len;
	e->payload_len = rec->payload_len;
	/* For now only whether each is there: the store may still move. */
	e->type = rec->type != NULL ? "" : NULL;
	e->payload = rec->payload != NULL ? "" : NULL;
	return store_add(b, cap, len, id, strlen(id), &sp->id) == -1 ||
	    store_add(b, cap, len, rec->type, rec->type_len, &sp->type) == -1 ||
	    store_add(b, cap, len, rec->payload, rec->payload_len,
	    &sp->payload) == -1 ? -1 : 0;
}

int
archive_cursor_next(struct archive_cursor *c, size_t count,
    struct archive_batch *b)
{
	struct segment_record rec;
	struct stream_entry *e;
	struct spans *sp = NULL;
	size_t cap = 0, len = 0, i;
	int rc = 0;

	memset(b, 0, sizeof(*b));
	if (count == 0)
		return 0;
	if ((b->batch.entries = calloc(count, sizeof(*e))) == NULL ||
	    (sp = calloc(count, sizeof(*sp))) == NULL)
		goto nomem;
	while (b->batch.n < count && (rc = next_record(c, &rec)) == 1) {
		if (entry_add(b, &sp[b->batch.n], &cap, &len, &rec) == -1)
			goto nomem;
		b->batch.n++;
	}
	for (i = 0; i < b->batch.n; i++) {
		e = &b->batch.entries[i];
		e->id_text = b->store + sp[i].id;
		e->type = e->type != NULL ? b->store + sp[i].type : NULL;
		e->payload = e->payload != NULL ? b->store + sp[i].payload :
		    NULL;
	}
	free(sp);
	return rc == -1 ? -1 : 0;
nomem:
	free(sp);
	snprintf(c->error, sizeof(c->error), "%.900s: out of memory", c->dir);
	return -1;
}

const char *
archive_cursor_error(const struct archive_cursor *c)
{
	return c->error;
}

void
archive_cursor_close(struct archive_cursor *c)
{
	if (c == NULL)
		return;
	segment_close(c->r);
	archive_list_free(&c->list);
	free(c);
}

void
archive_batch_free(struct archive_batch *b)
{
	free(b->batch.entries);
	free(b->store);
	memset(b, 0, sizeof(*b));
}
