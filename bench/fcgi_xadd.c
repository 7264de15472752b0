/*
 * Ceiling (b): a FastCGI responder that reads the request body and does
 * one XADD of a fixed 150-byte payload over a persistent hiredis
 * connection, the least a POST of the customers service can do.  It
 * writes to its own stream (BENCH_STREAM) so the projector never sees it.
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <fcgiapp.h>
#include <hiredis/hiredis.h>

/* 150 bytes, about the size of an InvoiceCreated payload. */
static const char payload[] =
    "{\"id\":\"1000000\",\"customer_id\":\"1000\",\"purchase_price_cents\":100,"
    "\"created_date\":\"2026-11-30T12:00:00Z\",\"purchase_date\":\"2019-01-06\""
    ",\"pad\":\"xxxxxxxxxx\"}";

_Static_assert(sizeof(payload) - 1 == 150, "payload must be 150 bytes");

/* AUTH as REDIS_USER with the password in REDISCLI_AUTH, if set. */
static int
bench_auth(redisContext *c)
{
	const char *user = getenv("REDIS_USER"), *pass = getenv("REDISCLI_AUTH");
	redisReply *r;
	int ok;

	if (user == NULL || pass == NULL)
		return 0;
	r = redisCommand(c, "AUTH %s %s", user, pass);
	ok = r != NULL && r->type == REDIS_REPLY_STATUS;
	if (!ok)
		warnx("redis AUTH as %s: %s", user, r != NULL && r->str != NULL ?
		    r->str : c->errstr);
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/* As the services: by the unix socket REDIS_SOCKET (make run's) if set. */
static redisContext *
connect_redis(const char *host, int port)
{
	const char *sock = getenv("REDIS_SOCKET");
	int unix_socket = sock != NULL && *sock != '\0';
	struct timeval tv = { 1, 0 };
	redisContext *c = unix_socket ? redisConnectUnixWithTimeout(sock, tv) :
	    redisConnectWithTimeout(host, port, tv);

	if (c == NULL)
		return NULL;
	if (c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK) {
		warnx("redis %s: %s", unix_socket ? sock : host, c->errstr);
		redisFree(c);
		return NULL;
	}
	/* As the services do: one AUTH per connection (ACLs on). */
	if (bench_auth(c) == -1) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/* Drains the body, as a real service must before it answers. */
static void
drain_body(FCGX_Request *req)
{
	char buf[4096];

	while (FCGX_GetStr(buf, sizeof(buf), req->in) > 0)
		;
}

static void
respond(FCGX_Request *req, const redisReply *r)
{
	if (r == NULL || r->type != REDIS_REPLY_STRING) {
		FCGX_PutS("Status: 503 Service Unavailable\r\n"
		    "Content-Type: application/json\r\n\r\n"
		    "{\"error\":\"event store unavailable\"}\n", req->out);
		return;
	}
	FCGX_FPrintF(req->out, "Status: 201 Created\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n\r\n"
	    "{\"event_id\":\"%s\"}\n", r->str);
}

int
main(void)
{
	const char *host = getenv("REDIS_HOST"), *port_s = getenv("REDIS_PORT");
	const char *stream = getenv("BENCH_STREAM");
	redisContext *c = NULL;
	redisReply *r;
	FCGX_Request req;

	if (host == NULL)
		host = "127.0.0.1";
	if (stream == NULL)
		stream = "bench-ceiling";
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&req) >= 0) {
		drain_body(&req);
		if (c == NULL)
			c = connect_redis(host, port_s != NULL ? atoi(port_s) :
			    6379);
		r = NULL;
		if (c != NULL)
			r = redisCommand(c, "XADD %s * EventTypeName Bench "
			    "Payload %b", stream, payload, sizeof(payload) - 1);
		/* hiredis leaves a context unusable after an error. */
		if (c != NULL && r == NULL) {
			redisFree(c);
			c = NULL;
		}
		respond(&req, r);
		freeReplyObject(r);
		FCGX_Finish_r(&req);
	}
	if (c != NULL)
		redisFree(c);
	FCGX_Free(&req, 1);
	return EXIT_SUCCESS;
}
