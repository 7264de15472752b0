#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "retention.h"

/* The mark as the Functions answer it; -1 if it is not an id. */
static int
mark_parse(const redisReply *r, struct stream_id *trimmed)
{
	struct stream_id id;

	if (r->type != REDIS_REPLY_STRING || stream_id_parse(r->str, &id) == -1)
		return -1;
	if (trimmed != NULL)
		*trimmed = id;
	return 0;
}

static void
refused(const char *function, const redisReply *r)
{
	log_warn("%s: %s", function, r->type == REDIS_REPLY_ERROR ? r->str :
	    "unexpected reply");
}

int
retention_report_quiet(struct redis_conn *rc, const char *stream,
    const char *kind, const char *name, const struct stream_id *pos,
    struct stream_id *trimmed, char *why, size_t whylen)
{
	char id[STREAM_ID_MAX];
	const char *argv[] = { "FCALL", "consumer_report", "1", stream, kind,
	    name, id };
	redisReply *r;
	int res = -1;

	stream_id_format(pos, id);
	if ((r = redis_conn_argv(rc, sizeof(argv) / sizeof(argv[0]), argv,
	    NULL)) == NULL) {
		/* The connection logs its own failures (redis.c). */
		if (whylen > 0)
			why[0] = '\0';
		return -1;
	}
	if ((res = mark_parse(r, trimmed)) == -1)
		snprintf(why, whylen, "%s", r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
	freeReplyObject(r);
	return res;
}

int
retention_report(struct redis_conn *rc, const char *stream, const char *kind,
    const char *name, const struct stream_id *pos, struct stream_id *trimmed)
{
	char why[200];

	if (retention_report_quiet(rc, stream, kind, name, pos, trimmed, why,
	    sizeof(why)) == 0)
		return 0;
	if (why[0] != '\0')
		log_warn("consumer_report: %s", why);
	return -1;
}

long long
retention_trim_step(struct redis_conn *rc, const char *stream,
    struct stream_id *trimmed, char why[RETENTION_WHY_MAX])
{
	const char *argv[] = { "FCALL", "stream_trim", "1", stream };
	redisReply *r;
	long long removed = -1;

	if ((r = redis_conn_argv(rc, 4, argv, NULL)) == NULL)
		return -1;
	/* {removed, mark, why none} */
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    mark_parse(r->element[1], trimmed) == 0) {
		removed = r->element[0]->integer;
		if (why != NULL)
			snprintf(why, RETENTION_WHY_MAX, "%s",
			    r->element[2]->type == REDIS_REPLY_STRING ?
			    r->element[2]->str : "");
	} else
		refused("stream_trim", r);
	freeReplyObject(r);
	return removed;
}

/* One "<id> <ms>" report into c; -1 if it is not one. */
static int
report_parse(const redisReply *kind, const redisReply *name,
    const redisReply *report, struct retention_consumer *c)
{
	char id[STREAM_ID_MAX];
	long long ms;

	if (kind->type != REDIS_REPLY_STRING || name->type != REDIS_REPLY_STRING ||
	    report->type != REDIS_REPLY_STRING || kind->len >= sizeof(c->kind) ||
	    name->len >= sizeof(c->name) ||
	    sscanf(report->str, "%40s %lld", id, &ms) != 2 ||
	    stream_id_parse(id, &c->pos) == -1)
		return -1;
	memcpy(c->kind, kind->str, kind->len + 1);
	memcpy(c->name, name->str, name->len + 1);
	c->seen_ms = ms;
	return 0;
}

int
retention_state(struct redis_conn *rc, const char *stream,
    struct retention_state *st)
{
	const char *argv[] = { "FCALL_RO", "retention_state", "1", stream };
	redisReply *r;
	size_t i;
	int res = -1;

	memset(st, 0, sizeof(*st));
	if ((r = redis_conn_argv(rc, 4, argv, NULL)) == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    (r->elements - 3) % 3 != 0 ||
	    (r->elements - 3) / 3 > RETENTION_CONSUMERS_MAX ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER ||
	    mark_parse(r->element[2], &st->mark) == -1) {
		refused("retention_state", r);
		goto out;
	}
	st->now_ms = r->element[0]->integer;
	st->timeout_s = r->element[1]->integer;
	for (i = 3; i < r->elements; i += 3)
		if (report_parse(r->element[i], r->element[i + 1],
		    r->element[i + 2], &st->c[st->n]) == 0)
			st->n++;
	res = 0;
out:
	freeReplyObject(r);
	return res;
}

int
retention_consumer_stale(const struct retention_state *st,
    const struct retention_consumer *c)
{
	return strcmp(c->kind, RETENTION_KIND_WORKER) == 0 &&
	    st->now_ms - c->seen_ms > st->timeout_s * 1000;
}
