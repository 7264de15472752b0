/*
 * archiver --restore-until ID: the copy that scripts/restore brought up,
 * made what the instance was just after the event ID.  Everything past ID
 * goes: from the archive (the segment holding ID cut after it), from the
 * stream, and from the command state, which is made again from the events
 * up to ID (state_clear and state_replay, db/events.lua).
 *
 * It runs on the restore's own Redis, which no program uses: it refuses a
 * Redis that has another client.  The copy is the backup's, so a restore
 * that stops half-way is started again from the backup (scripts/restore
 * wants an empty folder), and nothing here needs to resume.
 *
 * The Functions are this build's, loaded first.  Kept: the users, the
 * settings, and the id counters (seq:*), so that no id the copy had
 * given out, past ID included, is given to something else; the stream's
 * last id, for the same reason.  The consumers' positions go: each reports anew, and until
 * every copy has, nothing is trimmed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_cursor.h"
#include "archive_dir.h"
#include "command.h"
#include "log.h"
#include "redis.h"
#include "restore.h"
#include "segment_read.h"
#include "segment_write.h"
#include "stream.h"

/* Entries a round trip: the replay's pipeline, the deletes past ID. */
#define RESTORE_BATCH	1000
/* The folder the cut segment is moved to while its first part is written
 * again: not a segment's name, so no reader lists it. */
#define CUT_DIR		"cut"

struct restore {
	const struct config	*cfg;
	struct redis_conn	*rc;
	struct stream_id	 until;
	const char		*until_text;
	long long		 from_archive, from_stream, removed;
};

/* A reply that is an error, or none: said, with what it was for. */
static int
failed_reply(redisReply *r, const char *what)
{
	if (r != NULL && r->type != REDIS_REPLY_ERROR)
		return 0;
	log_error("%s: %s", what, r == NULL ? "Redis did not answer" : r->str);
	return 1;
}

/* A command's answer, which only matters if it is an error: 0 or -1. */
static int
done(redisReply *r, const char *what)
{
	int bad = failed_reply(r, what);

	freeReplyObject(r);
	return bad ? -1 : 0;
}

/* dir/name in out: 0, or -1 (said) if it is too long. */
static int
path_of(char out[PATH_MAX], const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n >= 0 && n < PATH_MAX)
		return 0;
	log_error("%s/%s: too long a path", dir, name);
	return -1;
}

/* Only the restore's own Redis: one client, ours. */
static int
own_redis(struct restore *rs)
{
	redisReply *r = redis_conn_command(rs->rc, "INFO clients");
	const char *n = r != NULL && r->type == REDIS_REPLY_STRING ?
	    strstr(r->str, "connected_clients:") : NULL;
	int alone = n != NULL && atoi(n + strlen("connected_clients:")) == 1;

	freeReplyObject(r);
	if (!alone)
		log_error("--restore-until runs on scripts/restore's own Redis, "
		    "which has no other client; %s has others",
		    redis_conn_where(rs->rc));
	return alone ? 0 : -1;
}

/*
 * The segment name (whose last id is past ID) written again with its
 * entries up to ID: verified whole first, so that nothing of a damaged
 * one is kept, moved aside, read, its first part committed as a segment
 * after the one before it (prev), then removed.  0 or -1.
 */
static int
segment_cut(struct restore *rs, const char *name,
    const struct stream_id *prev)
{
	const char *dir = rs->cfg->archive_dir, *stream = rs->cfg->stream_key;
	char err[ARCHIVE_ERROR_MAX], aside[PATH_MAX], from[PATH_MAX],
	    to[PATH_MAX], id[STREAM_ID_MAX];
	struct segment_writer *w = NULL;
	struct segment_reader *sr = NULL;
	struct segment_record rec;
	struct stream_entry e;
	int status = -1, got;

	if (path_of(aside, dir, CUT_DIR) == -1 ||
	    path_of(from, dir, name) == -1 || path_of(to, aside, name) == -1)
		return -1;
	if (segment_verify(dir, name, stream, prev, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	if (mkdir(aside, 0700) == -1 || rename(from, to) == -1) {
		log_error("%s: cannot move it to %s: %m", from, aside);
		return -1;
	}
	/* Only now: the writer follows the last segment in the folder. */
	if (segment_writer_open(&w, dir, stream, ARCHIVE_ZSTD_LEVEL, err,
	    sizeof(err)) == -1 || segment_open(&sr, aside, name, stream, prev,
	    err, sizeof(err)) == -1) {
		log_error("%s", err);
		goto out;
	}
	while ((got = segment_next(sr, &rec)) == 1 &&
	    stream_id_cmp(&rec.id, &rs->until) <= 0) {
		stream_id_format(&rec.id, id);
		e = (struct stream_entry){ .id = rec.id, .id_text = id,
		    .type = rec.type, .type_len = rec.type_len,
		    .payload = rec.payload, .payload_len = rec.payload_len };
		if (segment_writer_add(w, &e) != 0)
			goto out;
	}
	if (got == -1) {
		log_error("%s", segment_error(sr));
		goto out;
	}
	if (segment_writer_count(w) > 0 && segment_writer_commit(w, NULL) == -1)
		goto out;
	if (unlink(to) == -1 || rmdir(aside) == -1) {
		log_error("%s: cannot remove it: %m", to);
		goto out;
	}
	log_info("%s cut after %s", name, rs->until_text);
	status = 0;
out:
	if (status == -1 && w != NULL && *segment_writer_error(w) != '\0')
		log_error("%s", segment_writer_error(w));
	segment_close(sr);
	segment_writer_close(w);
	return status;
}

/* The archive up to ID: the segments past it removed, the one holding it
 * cut (segment_cut).  0 or -1. */
static int
archive_cut(struct restore *rs)
{
	const char *dir = rs->cfg->archive_dir;
	char err[ARCHIVE_ERROR_MAX], path[PATH_MAX];
	struct archive_list list;
	struct stream_id prev = { 0, 0 };
	const char *holding = NULL;
	size_t i;
	int status = 0;

	if (archive_list(dir, &list, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	for (i = 0; i < list.n && status == 0; i++) {
		if (stream_id_cmp(&list.v[i].first, &rs->until) > 0) {
			if ((status = path_of(path, dir, list.v[i].name)) == 0 &&
			    (status = unlink(path)) == -1)
				log_error("%s: cannot remove it: %m", path);
		} else if (stream_id_cmp(&list.v[i].last, &rs->until) > 0)
			holding = list.v[i].name;
		else
			prev = list.v[i].last;
	}
	if (status == 0 && holding != NULL)
		status = segment_cut(rs, holding, &prev);
	archive_list_free(&list);
	return status;
}

/* Every derived key gone (state_clear, a bounded step a call): 0 or -1. */
static int
state_clear(struct restore *rs)
{
	char cursor[32] = "0";
	redisReply *r;

	do {
		r = redis_conn_command(rs->rc, "FCALL state_clear 0 cursor %s "
		    "count %d", cursor, RESTORE_BATCH);
		if (failed_reply(r, "state_clear") || r->type !=
		    REDIS_REPLY_STRING || r->len >= sizeof(cursor)) {
			freeReplyObject(r);
			return -1;
		}
		memcpy(cursor, r->str, r->len + 1);
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

/*
 * The entries of b up to ID applied to the command state, pipelined:
 * how many, or -1 (said, with the entry).  *past: an entry past ID was
 * reached.
 */
static long long
replay(struct restore *rs, const struct stream_batch *b, int *past)
{
	const struct stream_entry *e;
	const char *argv[10] = { "FCALL", "state_replay", "1",
	    rs->cfg->stream_key, "id", NULL, "type", NULL, "payload", NULL };
	size_t lens[10], i, n, sent;
	redisReply *r;
	int bad = 0;

	for (i = 0; i < 10; i++)
		lens[i] = argv[i] != NULL ? strlen(argv[i]) : 0;
	for (n = 0; n < b->n && stream_id_cmp(&b->entries[n].id,
	    &rs->until) <= 0; n++)
		;
	*past = n < b->n;
	for (sent = 0; sent < n; sent++) {
		e = &b->entries[sent];
		if (e->type == NULL || e->payload == NULL) {
			log_error("%s: not an event (no EventTypeName or Payload)",
			    e->id_text);
			bad = 1;
			break;
		}
		argv[5] = e->id_text, lens[5] = strlen(e->id_text);
		argv[7] = e->type, lens[7] = e->type_len;
		argv[9] = e->payload, lens[9] = e->payload_len;
		if (redis_conn_send(rs->rc, 10, argv, lens) == -1)
			return -1;
	}
	/* Every answer read, so that the connection stays in step. */
	for (i = 0; i < sent; i++) {
		char what[STREAM_ID_MAX + 32];

		snprintf(what, sizeof(what), "event %s",
		    b->entries[i].id_text);
		r = redis_conn_reply(rs->rc);
		bad |= failed_reply(r, what);
		freeReplyObject(r);
		if (r == NULL)
			return -1;
	}
	return bad ? -1 : (long long)n;
}

/* The archive from its start: the position after it, in *pos; 0 or -1. */
static int
from_archive(struct restore *rs, struct stream_id *pos)
{
	char err[ARCHIVE_ERROR_MAX];
	struct archive_cursor *c;
	struct archive_batch b;
	long long n = 0;
	int past = 0;

	if (archive_cursor_open(&c, rs->cfg->archive_dir, rs->cfg->stream_key,
	    pos, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	while (!past && n != -1) {
		if (archive_cursor_next(c, RESTORE_BATCH, &b) == -1) {
			log_error("%s", archive_cursor_error(c));
			n = -1;
		} else if (b.batch.n == 0)
			past = 1;
		else if ((n = replay(rs, &b.batch, &past)) > 0) {
			rs->from_archive += n;
			*pos = b.batch.entries[n - 1].id;
		}
		archive_batch_free(&b);
	}
	archive_cursor_close(c);
	return n == -1 ? -1 : 0;
}

/*
 * Then the stream, from where the archive ends, up to ID: 0 or -1.  A
 * stream trimmed past ID has nothing more: the copy's archive held every
 * event up to its mark (scripts/backup checks it), so up to ID.
 */
static int
from_stream(struct restore *rs, struct stream_id *pos)
{
	const char *key = rs->cfg->stream_key;
	struct stream_batch b;
	char at[STREAM_ID_MAX], mark[STREAM_ID_MAX];
	long long n = 0;
	int past = 0, got;

	while (!past && n != -1) {
		if (stream_read_send(rs->rc, key, pos, RESTORE_BATCH, -1) == -1)
			return -1;
		if ((got = stream_read_recv(rs->rc, key, pos, &b)) != 0) {
			if (got == -1)
				return -1;
			/* Trimmed past ID: the archive held all up to it. */
			if (got == STREAM_READ_TRIMMED &&
			    stream_id_cmp(&b.trimmed, &rs->until) > 0)
				return 0;
			stream_id_format(pos, at);
			stream_id_format(&b.trimmed, mark);
			log_error("the archive ends at %s, and the stream %s %s: "
			    "the events between are in neither", at,
			    got == STREAM_READ_TRIMMED ? "was trimmed to" :
			    "lost them, trimmed to", mark);
			return -1;
		}
		if (b.n == 0)
			past = 1;
		else if ((n = replay(rs, &b, &past)) > 0) {
			rs->from_stream += n;
			*pos = b.entries[n - 1].id;
		}
		stream_batch_free(&b);
	}
	return n == -1 ? -1 : 0;
}

/*
 * The stream's entries past ID deleted, a batch a round trip, its count
 * of entries added made the events' up to ID, and the trimmed mark
 * brought back to ID if it was past it (the archive now ends there).  The
 * stream's last id stays: new events come after every id the backup's
 * instance gave out.  0 or -1.
 */
static int
stream_cut(struct restore *rs)
{
	const char *key = rs->cfg->stream_key;
	const char *argv[2 + RESTORE_BATCH];
	size_t lens[2 + RESTORE_BATCH], i;
	struct stream_info info;
	char last[STREAM_ID_MAX];
	redisReply *r;
	long long n;

	argv[0] = "XDEL", lens[0] = 4;
	argv[1] = key, lens[1] = strlen(key);
	do {
		r = redis_conn_command(rs->rc, "XRANGE %s (%s + COUNT %d", key,
		    rs->until_text, RESTORE_BATCH);
		if (failed_reply(r, "XRANGE") || r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return -1;
		}
		n = (long long)r->elements;
		for (i = 0; i < r->elements; i++) {
			argv[2 + i] = r->element[i]->element[0]->str;
			lens[2 + i] = r->element[i]->element[0]->len;
		}
		if (n > 0 && done(redis_conn_argv(rs->rc, (int)(2 + n), argv,
		    lens), "XDEL") == -1) {
			freeReplyObject(r);
			return -1;
		}
		rs->removed += n;
		freeReplyObject(r);
	} while (n > 0);
	/* XDEL leaves entries-added as it was, and /status's lag is
	 * entries-added less what the worker applied: it would stay at the
	 * entries deleted.  The events up to ID are those replayed. */
	if (stream_info(rs->rc, key, &info) == -1)
		return -1;
	stream_id_format(&info.last_generated, last);
	if (info.last_generated.ms + info.last_generated.seq > 0 &&
	    done(redis_conn_command(rs->rc, "XSETID %s %s ENTRIESADDED %lld "
	    "MAXDELETEDID %s", key, last, rs->from_archive + rs->from_stream,
	    last), "XSETID") == -1)
		return -1;
	r = redis_conn_command(rs->rc, "GET retention:trimmed");
	if (failed_reply(r, "GET retention:trimmed")) {
		freeReplyObject(r);
		return -1;
	}
	{
		struct stream_id mark = { 0, 0 };
		int later = r->type == REDIS_REPLY_STRING &&
		    stream_id_parse(r->str, &mark) == 0 &&
		    stream_id_cmp(&mark, &rs->until) > 0;

		freeReplyObject(r);
		if (later && done(redis_conn_command(rs->rc, "SET "
		    "retention:trimmed %s", rs->until_text), "SET") == -1)
			return -1;
	}
	return 0;
}

int
archiver_restore(const struct config *cfg, struct redis_conn *rc,
    const char *until)
{
	struct restore rs = { .cfg = cfg, .rc = rc, .until_text = until };
	struct stream_id pos = { 0, 0 };
	char last[STREAM_ID_MAX];

	if (stream_id_parse(until, &rs.until) == -1) {
		log_error("--restore-until %s: not a stream id", until);
		return EXIT_FAILURE;
	}
	/* This build's Functions, not the copy's (an older version may lack
	 * state_replay); restore:until lets state_clear and state_replay
	 * run, up to ID. */
	if (own_redis(&rs) == -1 || command_load_library(rc) == -1 ||
	    done(redis_conn_command(rc, "SET restore:until %s", until),
	    "SET restore:until") == -1 ||
	    done(redis_conn_command(rc, "DEL restore:applied"), "DEL") == -1 ||
	    archive_cut(&rs) == -1 || state_clear(&rs) == -1 ||
	    from_archive(&rs, &pos) == -1 || from_stream(&rs, &pos) == -1 ||
	    stream_cut(&rs) == -1 ||
	    done(redis_conn_command(rc, "DEL retention:archives "
	    "retention:workers restore:until restore:applied"), "DEL") == -1) {
		log_error("the restore up to %s stopped; start it again from the "
		    "backup, into an empty folder", until);
		return EXIT_FAILURE;
	}
	stream_id_format(&pos, last);
	log_info("restored up to %s, its last event %s: %lld events from the "
	    "archive and %lld from the stream made the command state again; "
	    "%lld entries past it removed from the stream", until, last,
	    rs.from_archive, rs.from_stream, rs.removed);
	return EXIT_SUCCESS;
}
