#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcgiapp.h>

#include "clock.h"
#include "fcgi_loop.h"
#include "log.h"

/* 0 when the route may run for this caller, else -1 after answering 401. */
static int
authorize(struct service *svc, struct token_memo *tokens,
    struct route_call *call, char user[TOKEN_USER_MAX])
{
	if (!call->route->auth)
		return 0;
	if (token_verify_header(&svc->key, tokens, call->req->authorization,
	    user) == 0 && (svc->user_exists == NULL ||
	    svc->user_exists(svc, user) != 0))
		return 0;
	http_respond_error(call->req, 401,
	    "missing, malformed or expired Bearer token");
	return -1;
}

/*
 * 0 when the caller's share (limiter.h) has room for the request, else
 * -1 after answering 429 with Retry-After.
 */
static int
admit(struct service *svc, struct route_call *call)
{
	char key[LIMITER_KEY_MAX], retry[40];
	int wait;

	limiter_key(call->user, call->req->remote_addr, key);
	if ((wait = limiter_admit(&svc->limiter, key,
	    clock_monotonic_us())) == 0)
		return 0;
	snprintf(retry, sizeof(retry), "Retry-After: %d\r\n", wait);
	http_respond_error_ext(call->req, 429, retry, call->user[0] != '\0' ?
	    "too many requests at once for this user; slow down" :
	    "too many requests at once from this address; slow down");
	return -1;
}

static void
account_for(struct service *svc, const struct http_request *req,
    const struct route *r, int64_t started)
{
	/* A 500 is a bug; 502-504 a dependency down or a wait given up. */
	if (req->status == 500)
		log_error("%s %s: %d", req->method, req->path, req->status);
	else if (req->status > 500)
		log_warn("%s %s: %d", req->method, req->path, req->status);
	else if (req->status >= 400)
		log_info("%s %s: %d", req->method, req->path, req->status);
	metrics_request(&svc->metrics, r != NULL ?
	    (size_t)(r - svc->routes) : METRICS_ROUTES - 1, req->status,
	    (uint64_t)(clock_monotonic_us() - started));
}

static void
serve_one(struct service *svc, struct token_memo *tokens, FCGX_Request *fcgi)
{
	int64_t started = clock_monotonic_us();
	struct http_request req;
	struct route_call call = { .svc = svc, .req = &req, .user = "" };
	char segbuf[HTTP_PATH_MAX], user[TOKEN_USER_MAX] = "";
	int status;

	if ((status = http_request_read(&req, fcgi)) != 0) {
		http_respond_error(&req, status, status == 413 ?
		    "request body larger than 64 KiB" :
		    http_status_text(status));
		goto out;
	}
	if ((call.route = route_find(svc->routes, svc->nroutes, &req, segbuf,
	    sizeof(segbuf), call.args)) == NULL ||
	    authorize(svc, tokens, &call, user) == -1)
		goto out;
	call.user = user;
	if (admit(svc, &call) == -1)
		goto out;
	route_call(&call);
	limiter_done(&svc->limiter, clock_monotonic_us());
	if (!req.answered) {
		log_warn("%s %s: handler gave no answer", req.method, req.path);
		http_respond_error(&req, 500, "internal error");
	}
out:
	account_for(svc, &req, call.route, started);
	http_request_free(&req);
}

int
fcgi_loop_run(struct service *svc)
{
	static struct token_memo tokens;
	FCGX_Request fcgi;

	/* A client that hangs up must not kill the process mid-write. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fcgi, 0, 0) != 0) {
		log_warn("FastCGI initialisation failed");
		return EXIT_FAILURE;
	}
	log_info("started");
	while (FCGX_Accept_r(&fcgi) >= 0) {
		serve_one(svc, &tokens, &fcgi);
		FCGX_Finish_r(&fcgi);
	}
	FCGX_Free(&fcgi, 1);
	log_info("stopped");
	return EXIT_SUCCESS;
}
