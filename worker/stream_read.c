#include <stdio.h>

#include "log.h"
#include "stream_read.h"

static const redisReply no_entries = { .type = REDIS_REPLY_ARRAY };

int
stream_read_send(struct redis_conn *rc, const char *key,
    const struct stream_id *after, int count, int block_ms)
{
	char id[STREAM_ID_MAX], count_s[16], block_s[16];
	const char *argv[8];
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
	return redis_conn_send(rc, argc, argv, NULL);
}

redisReply *
stream_read_recv(struct redis_conn *rc, const char *key,
    const redisReply **entries)
{
	redisReply *r;

	if ((r = redis_conn_reply(rc)) == NULL)
		return NULL;
	/* Nil: nothing new before the BLOCK timeout. */
	if (r->type == REDIS_REPLY_NIL) {
		*entries = &no_entries;
		return r;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2 &&
	    r->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
		*entries = r->element[0]->element[1];
		return r;
	}
	log_warn("XREAD %s: %s", key, r->type == REDIS_REPLY_ERROR ? r->str :
	    "unexpected reply");
	freeReplyObject(r);
	return NULL;
}

redisReply *
stream_read(struct redis_conn *rc, const char *key,
    const struct stream_id *after, int count, int block_ms,
    const redisReply **entries)
{
	if (stream_read_send(rc, key, after, count, block_ms) == -1)
		return NULL;
	return stream_read_recv(rc, key, entries);
}
