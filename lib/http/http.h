/*
 * One FastCGI request: what the handlers need of it, and the ways to
 * answer.  Every answer is JSON; every error is {"error": "..."}.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "decode.h"

#define HTTP_BODY_MAX	(64 * 1024)
#define HTTP_PATH_MAX	1024

struct http_request {
	FCGX_Request	*fcgi;
	const char	*method;
	char		 path[HTTP_PATH_MAX];	/* without the query */
	const char	*query;			/* "" if none */
	const char	*authorization;		/* NULL if none */
	const char	*idempotency_key;	/* NULL if none */
	const char	*remote_addr;		/* "" if unknown */
	char		*body;			/* owned; NUL-terminated */
	size_t		 body_len;
	int		 answered;
	int		 status;		/* of the answer */
};

/*
 * Fills req from the FastCGI request and reads the body.  Returns 0, or
 * an HTTP status to answer instead: 400, 413, 414, 500, or the status
 * of an error lighttpd raised and handed over (server.error-handler).
 */
int	http_request_read(struct http_request *req, FCGX_Request *fcgi);
void	http_request_free(struct http_request *req);
/*
 * client_gone.c: 1 when the client has hung up, or lighttpd gave up on
 * the request: work only it would wait for is wasted.  Does not wait.
 */
int	http_client_gone(const struct http_request *req);

/* How every JSON answer is serialised. */
#define HTTP_JSON_FLAGS \
	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* body may be NULL for 204; the function does not take ownership. */
void	http_respond_json(struct http_request *req, int status,
	    json_object *body);
/* The same with header lines (each ending in CRLF; extra may be NULL). */
void	http_respond_json_ext(struct http_request *req, int status,
	    const char *extra, json_object *body);
/* The same for a body already serialised with HTTP_JSON_FLAGS. */
void	http_respond_json_text(struct http_request *req, int status,
	    const char *extra, const char *text);
void	http_respond_error(struct http_request *req, int status,
	    const char *msg);
/* The same with header lines (each ending in CRLF). */
void	http_respond_error_ext(struct http_request *req, int status,
	    const char *extra, const char *msg);
/* 400 with the decoder's message; 500 when it ran out of memory. */
void	http_respond_decode_error(struct http_request *req,
	    const struct decode_error *err);
void	http_respond_not_allowed(struct http_request *req, const char *allow);
/* A body that is not JSON, such as the Prometheus text format. */
void	http_respond_text(struct http_request *req, int status,
	    const char *content_type, const char *body);
/* No body; extra is NULL or header lines, each ending in CRLF. */
void	http_respond_empty(struct http_request *req, int status,
	    const char *extra);

/*
 * The raw value of query parameter name (no percent-decoding: our values
 * are ids).  1 and the value in out, 0 if absent, -1 if longer than out.
 */
int	http_query_param(const struct http_request *req, const char *name,
	    char *out, size_t outlen);

const char *http_status_text(int status);

#endif
