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
retention_report(struct redis_conn *rc, const char *stream, const char *kind,
    const char *name, const struct stream_id *pos, struct stream_id *trimmed)
{
	char id[STREAM_ID_MAX];
	const char *argv[] = { "FCALL", "consumer_report", "1", stream, kind,
	    name, id };
	redisReply *r;
	int res = -1;

	stream_id_format(pos, id);
	if ((r = redis_conn_argv(rc, sizeof(argv) / sizeof(argv[0]), argv,
	    NULL)) == NULL)
		return -1;
	if ((res = mark_parse(r, trimmed)) == -1)
		refused("consumer_report", r);
	freeReplyObject(r);
	return res;
}

long long
retention_trim_step(struct redis_conn *rc, const char *stream,
    struct stream_id *trimmed)
{
	const char *argv[] = { "FCALL", "stream_trim", "1", stream };
	redisReply *r;
	long long removed = -1;

	if ((r = redis_conn_argv(rc, 4, argv, NULL)) == NULL)
		return -1;
	/* {removed, mark, why none} */
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    mark_parse(r->element[1], trimmed) == 0)
		removed = r->element[0]->integer;
	else
		refused("stream_trim", r);
	freeReplyObject(r);
	return removed;
}
