#include <signal.h>
#include <stdlib.h>
#include <fcgiapp.h>

#include "clock.h"
#include "fcgi_loop.h"
#include "log.h"

static void
serve_one(const struct fcgi_service *svc, struct token_memo *tokens,
    FCGX_Request *fcgi)
{
	int64_t started = clock_monotonic_us();
	struct http_request req;
	const struct route *r = NULL;
	char segbuf[HTTP_PATH_MAX];
	char *args[ROUTE_ARGS_MAX] = { NULL };
	char user[TOKEN_USER_MAX] = "";
	int status;

	if ((status = http_request_read(&req, fcgi)) != 0) {
		http_respond_error(&req, status, status == 413 ?
		    "request body larger than 64 KiB" :
		    http_status_text(status));
		goto out;
	}
	req.metrics = svc->metrics;
	if ((r = route_find(svc->routes, svc->nroutes, &req, segbuf,
	    sizeof(segbuf), args)) == NULL)
		goto out;
	if (r->auth && (token_verify_header(svc->key, tokens,
	    req.authorization, user) == -1 || (svc->user_exists != NULL &&
	    svc->user_exists(svc->app, user) == 0))) {
		http_respond_error(&req, 401,
		    "missing, malformed or expired Bearer token");
		goto out;
	}
	r->handler(svc->app, &req, user, args);
	if (!req.answered) {
		log_warn("%s %s: handler gave no answer", req.method, req.path);
		http_respond_error(&req, 500, "internal error");
	}
out:
	if (req.status >= 500)
		log_error("%s %s: %d", req.method, req.path, req.status);
	else if (req.status >= 400)
		log_info("%s %s: %d", req.method, req.path, req.status);
	if (svc->metrics != NULL)
		metrics_request(svc->metrics, r != NULL ?
		    (size_t)(r - svc->routes) : METRICS_ROUTES - 1, req.status,
		    (uint64_t)(clock_monotonic_us() - started));
	http_request_free(&req);
}

int
fcgi_loop_run(const struct fcgi_service *svc)
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
