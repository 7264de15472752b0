#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "retention.h"
#include "stream.h"

/* A read is guarded: behind the XREAD, XRANGE after after (but after
 * 0-0, which is no entry) and GET of the trimmed mark.  Redis runs them
 * right after the XREAD is served, a blocked one too, so they speak of
 * the data the batch came from. */
static int
from_start(const struct stream_id *after)
{
	return after->ms == 0 && after->seq == 0;
}

int
stream_read_send(struct redis_conn *rc, const char *key,
    const struct stream_id *after, int count, int block_ms)
{
	char id[STREAM_ID_MAX], count_s[16], block_s[16];
	const char *argv[8];
	const char *guard[] = { "XRANGE", key, id, id };
	const char *mark[] = { "GET", RETENTION_TRIMMED_KEY };
	int argc = 0;

	stream_id_format(after, id);
	snprintf(count_s, sizeof(count_s), "%d", count);
	snprintf(block_s, sizeof(block_s), "%d", block_ms);
	argv[argc++] = "XREAD";
	argv[argc++] = "COUNT";
	argv[argc++] = count_s;
	if (block_ms >= 0) {
		argv[argc++] = "BLOCK";
		argv[argc++] = block_s;
	}
	argv[argc++] = "STREAMS";
	argv[argc++] = key;
	argv[argc++] = id;
	if (redis_conn_send(rc, argc, argv, NULL) == -1 ||
	    (!from_start(after) && redis_conn_send(rc, 4, guard, NULL) == -1))
		return -1;
	return redis_conn_send(rc, 2, mark, NULL);
}

/* The value of field name among [field, value, ...], with its length. */
static const char *
field(const redisReply *fields, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0 &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING) {
			*len = fields->element[i + 1]->len;
			return fields->element[i + 1]->str;
		}
	*len = 0;
	return NULL;
}

/* One [id, [field, value, ...]]: 0, or -1 if it is not that. */
static int
entry_parse(const redisReply *e, struct stream_entry *out)
{
	const redisReply *fields;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    stream_id_parse(e->element[0]->str, &out->id) == -1)
		return -1;
	out->id_text = e->element[0]->str;
	fields = e->element[1];
	if (fields->type != REDIS_REPLY_ARRAY) {
		out->type = out->payload = NULL;
		out->type_len = out->payload_len = 0;
		return 0;
	}
	out->type = field(fields, "EventTypeName", &out->type_len);
	out->payload = field(fields, "Payload", &out->payload_len);
	return 0;
}

/* [[key, [entry, ...]]], or nil when nothing came before BLOCK ran out. */
static int
batch_parse(redisReply *r, struct stream_batch *b)
{
	const redisReply *list;
	size_t i;

	if (r->type == REDIS_REPLY_NIL)
		return 0;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY ||
	    r->element[0]->elements != 2 ||
	    r->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	list = r->element[0]->element[1];
	if (list->elements == 0)
		return 0;
	if ((b->entries = calloc(list->elements, sizeof(*b->entries))) == NULL)
		return -1;
	for (i = 0; i < list->elements; i++)
		if (entry_parse(list->element[i], &b->entries[i]) == -1)
			return -1;
	b->n = list->elements;
	return 0;
}

/*
 * An answer to XRANGE key id id (taken, freed): 1 if the stream has the
 * entry, 0 if not, -1 if there was no answer or another (logged).
 */
static int
has_of(redisReply *r, const char *key)
{
	int has = -1;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY)
		has = r->elements > 0;
	else if (r != NULL)
		log_warn("XRANGE %s: %s", key, r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
	freeReplyObject(r);
	return has;
}

/*
 * An answer to GET of the trimmed mark (taken, freed): 0 and the mark
 * (0-0 when nothing was ever trimmed), or -1 (logged).
 */
static int
mark_of(redisReply *r, struct stream_id *mark)
{
	int ok = r != NULL && (r->type == REDIS_REPLY_NIL ||
	    (r->type == REDIS_REPLY_STRING &&
	    stream_id_parse(r->str, mark) == 0));

	if (r != NULL && r->type == REDIS_REPLY_NIL)
		*mark = (struct stream_id){ 0, 0 };
	if (r != NULL && !ok)
		log_warn("GET %s: %s", RETENTION_TRIMMED_KEY,
		    r->type == REDIS_REPLY_ERROR ? r->str : "not a stream id");
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/*
 * The stream lacks after: trimmed up to it (0: nothing skipped, the
 * batch holds what follows), trimmed past it (the entries between are in
 * the archive), or lost (past every trim).
 */
static int
absent(const struct stream_id *after, const struct stream_id *mark)
{
	int cmp = stream_id_cmp(after, mark);

	return cmp == 0 ? 0 : cmp < 0 ? STREAM_READ_TRIMMED : STREAM_READ_GONE;
}

/* The guard's replies, taken whatever the batch was, so that the
 * pipeline stays in step: 0 (read on), STREAM_READ_* or -1.  From the
 * start, anything ever trimmed is missing. */
static int
guard_recv(struct redis_conn *rc, const char *key,
    const struct stream_id *after, struct stream_id *mark)
{
	int has = from_start(after) ? 0 : has_of(redis_conn_reply(rc), key);

	if (mark_of(redis_conn_reply(rc), mark) == -1 || has == -1)
		return -1;
	return has ? 0 : absent(after, mark);
}

int
stream_read_recv(struct redis_conn *rc, const char *key,
    const struct stream_id *after, struct stream_batch *b)
{
	struct stream_id mark = { 0, 0 };
	int res;

	memset(b, 0, sizeof(*b));
	if ((b->reply = redis_conn_reply(rc)) == NULL)
		return -1;
	res = guard_recv(rc, key, after, &mark);
	if (res == 0 && batch_parse(b->reply, b) == 0) {
		b->trimmed = mark;
		return 0;
	}
	if (res == 0) {
		log_warn("XREAD %s: %s", key,
		    b->reply->type == REDIS_REPLY_ERROR ? b->reply->str :
		    "unexpected reply");
		res = -1;
	}
	stream_batch_free(b);
	b->trimmed = mark;
	return res;
}

void
stream_batch_free(struct stream_batch *b)
{
	free(b->entries);
	freeReplyObject(b->reply);
	memset(b, 0, sizeof(*b));
}

int
stream_info(struct redis_conn *rc, const char *key, struct stream_info *info)
{
	const redisReply *k, *v;
	redisReply *r;
	size_t i;

	memset(info, 0, sizeof(*info));
	if ((r = redis_conn_command(rc, "XINFO STREAM %s", key)) == NULL)
		return -1;
	/* No stream yet is all zeros; any other error (LOADING, BUSY) is
	 * Redis unable to say. */
	if (r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "ERR no such key", 15) != 0) {
		log_warn("XINFO STREAM %s: %s", key, r->str);
		freeReplyObject(r);
		return -1;
	}
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2) {
		k = r->element[i];
		v = r->element[i + 1];
		if (k->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "length") == 0 &&
		    v->type == REDIS_REPLY_INTEGER)
			info->length = v->integer;
		else if (strcmp(k->str, "entries-added") == 0 &&
		    v->type == REDIS_REPLY_INTEGER)
			info->entries_added = v->integer;
		else if (strcmp(k->str, "last-generated-id") == 0 &&
		    v->type == REDIS_REPLY_STRING)
			stream_id_parse(v->str, &info->last_generated);
	}
	freeReplyObject(r);
	return 0;
}

int
stream_has(struct redis_conn *rc, const char *key, const struct stream_id *id)
{
	char s[STREAM_ID_MAX];

	stream_id_format(id, s);
	return has_of(redis_conn_command(rc, "XRANGE %s %s %s", key, s, s),
	    key);
}

long long
stream_length(struct redis_conn *rc, const char *key)
{
	redisReply *r = redis_conn_command(rc, "XLEN %s", key);
	long long n = -1;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		n = r->integer;
	freeReplyObject(r);
	return n;
}
