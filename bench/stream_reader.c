/*
 * Ceiling (c): how fast entries can leave the stream at all.  Reads the
 * stream with XREAD COUNT 1000 from an id, parses every Payload with
 * json-c, and does nothing else; the projector cannot beat this.
 *
 *	stream_reader HOST PORT STREAM AFTER_ID MAX_ENTRIES
 *
 * By the unix socket REDIS_SOCKET instead of HOST and PORT when it is
 * set, as the worker does (make run's Redis listens on no port).
 *
 * Prints: entries=N seconds=S per_second=R
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#define BATCH "1000"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
payload_of(const redisReply *fields)
{
	size_t i;

	for (i = 0; i + 1 < fields->elements; i += 2)
		if (strcmp(fields->element[i]->str, "Payload") == 0)
			return fields->element[i + 1]->str;
	return NULL;
}

/* Parses one batch; -1 on an entry of the wrong shape. */
static int
parse_batch(const redisReply *entries, char *last, size_t lastlen,
    long *count)
{
	const redisReply *e;
	const char *p;
	json_object *o;
	size_t i;

	for (i = 0; i < entries->elements; i++) {
		e = entries->element[i];
		if (e->elements != 2 || (p = payload_of(e->element[1])) == NULL ||
		    (o = json_tokener_parse(p)) == NULL)
			return -1;
		json_object_put(o);
		(*count)++;
	}
	snprintf(last, lastlen, "%s", entries->element[i - 1]->element[0]->str);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct timeval tv = { 5, 0 };
	const char *sock = getenv("REDIS_SOCKET");
	redisContext *c;
	redisReply *r;
	char last[64];
	long count = 0, max;
	double t0, t;
	int status = EXIT_FAILURE;

	if (argc != 6)
		errx(EXIT_FAILURE, "usage: stream_reader HOST PORT STREAM "
		    "AFTER_ID MAX_ENTRIES");
	max = atol(argv[5]);
	snprintf(last, sizeof(last), "%s", argv[4]);
	c = sock != NULL && *sock != '\0' ?
	    redisConnectUnixWithTimeout(sock, tv) :
	    redisConnectWithTimeout(argv[1], atoi(argv[2]), tv);
	if (c == NULL || c->err != 0)
		errx(EXIT_FAILURE, "redis: %s", c != NULL ? c->errstr : "oom");
	/* As the worker does: one AUTH (ACLs on), before the clock starts. */
	if (getenv("REDIS_USER") != NULL && getenv("REDISCLI_AUTH") != NULL) {
		r = redisCommand(c, "AUTH %s %s", getenv("REDIS_USER"),
		    getenv("REDISCLI_AUTH"));
		if (r == NULL || r->type != REDIS_REPLY_STATUS)
			errx(EXIT_FAILURE, "redis AUTH: %s", r != NULL &&
			    r->str != NULL ? r->str : c->errstr);
		freeReplyObject(r);
	}
	t0 = now_s();
	while (count < max) {
		r = redisCommand(c, "XREAD COUNT " BATCH " STREAMS %s %s",
		    argv[3], last);
		if (r == NULL) {
			warnx("XREAD: %s", c->errstr);
			goto out;
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 1) {
			freeReplyObject(r);
			break;		/* nil: the end of the stream */
		}
		if (parse_batch(r->element[0]->element[1], last, sizeof(last),
		    &count) == -1) {
			warnx("unexpected entry after %s", last);
			freeReplyObject(r);
			goto out;
		}
		freeReplyObject(r);
	}
	t = now_s() - t0;
	printf("entries=%ld seconds=%.3f per_second=%.0f\n", count, t,
	    t > 0 ? (double)count / t : 0.0);
	status = EXIT_SUCCESS;
out:
	redisFree(c);
	return status;
}
