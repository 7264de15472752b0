#include <stdio.h>
#include <string.h>

#include "catchup.h"
#include "follow.h"

/*
 * The one error line: what is wrong, then the entries the read model
 * cannot have until it is put right.  Nothing after pos is applied.
 */
static enum catchup_result
short_of(struct catchup *c, const char *what)
{
	char pos[STREAM_ID_MAX], need[STREAM_ID_MAX];

	stream_id_format(&c->pos, pos);
	stream_id_format(&c->need, need);
	if (stream_id_cmp(&c->need, &c->pos) > 0)
		snprintf(c->error, sizeof(c->error), "%s: the entries after %s "
		    "through %s are in no readable segment nor in the stream; "
		    "nothing past %s is applied until they are", what, pos,
		    need, pos);
	else
		snprintf(c->error, sizeof(c->error), "%s: nothing past %s is "
		    "applied from the archive", what, pos);
	return CATCHUP_SHORT;
}

/* Whether the batch, or the archive, reached what the caller asked for. */
static int
reached(const struct catchup *c)
{
	return !c->whole && stream_id_cmp(&c->pos, &c->need) >= 0;
}

enum catchup_result
catchup_open(struct catchup *c)
{
	struct archive_list list;
	struct stream_id last = { 0, 0 };
	char err[ARCHIVE_ERROR_MAX], what[ARCHIVE_ERROR_MAX + 64],
	    id[STREAM_ID_MAX], need[STREAM_ID_MAX];

	c->cur = NULL;
	c->last_n = 0;
	if (reached(c))
		return CATCHUP_DONE;
	/*
	 * The chain starts at 0-0 (archive_dir.h): an archive whose last id
	 * is at the mark holds every entry up to it.  Checked before anything
	 * is applied, so that a short archive moves the read model not at
	 * all.  The cursor lists the folder again, and sees as much or more.
	 */
	if (archive_list(c->dir, &list, err, sizeof(err)) == -1)
		return short_of(c, err);
	if (list.n > 0)
		last = list.v[list.n - 1].last;
	archive_list_free(&list);
	if (stream_id_cmp(&last, &c->need) < 0) {
		stream_id_format(&last, id);
		stream_id_format(&c->need, need);
		if (last.ms == 0 && last.seq == 0)
			snprintf(what, sizeof(what), "archive %s holds no "
			    "segment, but the stream was trimmed through %s",
			    c->dir, need);
		else
			snprintf(what, sizeof(what), "archive %s ends at %s, "
			    "but the stream was trimmed through %s", c->dir,
			    id, need);
		return short_of(c, what);
	}
	if (stream_id_cmp(&last, &c->pos) <= 0)
		return CATCHUP_DONE;
	if (archive_cursor_open(&c->cur, c->dir, c->stream, &c->pos, err,
	    sizeof(err)) == -1)
		return short_of(c, err);
	return CATCHUP_APPLIED;
}

enum catchup_result
catchup_step(struct catchup *c)
{
	struct archive_batch b;
	enum catchup_result res = CATCHUP_APPLIED;
	int full;

	c->last_n = 0;
	if (reached(c))
		return CATCHUP_DONE;
	if (archive_cursor_next(c->cur, c->count, &b) == -1) {
		archive_batch_free(&b);
		return short_of(c, archive_cursor_error(c->cur));
	}
	if (b.batch.n == 0) {
		archive_batch_free(&b);
		/* A folder that lost segments since it was listed. */
		return stream_id_cmp(&c->pos, &c->need) >= 0 ? CATCHUP_DONE :
		    short_of(c, "the archive ended early");
	}
	/* As follow_step paces a full batch of the stream: reading the
	 * archive takes the CPU and the disk from the services too. */
	if ((full = b.batch.n == c->count) && c->pace != NULL)
		pace_observe(c->pace, c->rc, c->stream);
	switch (follow_apply(c->proj, c->pace, &b.batch, full, &c->pos,
	    &c->last_n)) {
	case PROJECTOR_OK:
		break;
	case PROJECTOR_MOVED:
		res = CATCHUP_MOVED;
		break;
	default:
		res = CATCHUP_DB_FAILED;
		break;
	}
	archive_batch_free(&b);
	return res;
}

void
catchup_close(struct catchup *c)
{
	archive_cursor_close(c->cur);
	c->cur = NULL;
}

int
catchup_has_archive(const char *dir)
{
	struct archive_list list;
	char err[ARCHIVE_ERROR_MAX];
	int has;

	if (archive_list(dir, &list, err, sizeof(err)) == -1)
		return 0;
	has = list.n > 0;
	archive_list_free(&list);
	return has;
}
