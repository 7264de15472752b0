#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static const char *
param(FCGX_Request *fcgi, const char *name)
{
	return FCGX_GetParam(name, fcgi->envp);
}

int
http_request_read(struct http_request *req, FCGX_Request *fcgi)
{
	const char *uri, *len_s, *q, *redirect;
	char *end;
	unsigned long long len;
	size_t plen;
	int n, status;

	memset(req, 0, sizeof(*req));
	req->fcgi = fcgi;
	req->method = param(fcgi, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "";
	req->authorization = param(fcgi, "HTTP_AUTHORIZATION");
	req->idempotency_key = param(fcgi, "HTTP_IDEMPOTENCY_KEY");
	if ((req->remote_addr = param(fcgi, "REMOTE_ADDR")) == NULL)
		req->remote_addr = "";
	/* lighttpd's server.error-handler: an error lighttpd raised itself. */
	if ((redirect = param(fcgi, "REDIRECT_STATUS")) != NULL) {
		status = atoi(redirect);
		if (status >= 400 && status <= 599)
			return status;
	}
	/* REQUEST_URI is what the client sent; lighttpd has not decoded it. */
	if ((uri = param(fcgi, "REQUEST_URI")) == NULL)
		uri = "/";
	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	req->query = q != NULL ? q + 1 : "";
	if (plen >= sizeof(req->path))
		return 414;
	memcpy(req->path, uri, plen);
	req->path[plen] = '\0';

	len_s = param(fcgi, "CONTENT_LENGTH");
	if (len_s == NULL || *len_s == '\0')
		len = 0;
	else {
		errno = 0;
		len = strtoull(len_s, &end, 10);
		if (errno != 0 || *end != '\0' || *len_s == '-')
			return 400;
	}
	if (len > HTTP_BODY_MAX)
		return 413;
	if ((req->body = malloc((size_t)len + 1)) == NULL)
		return 500;
	req->body_len = 0;
	while (req->body_len < len) {
		n = FCGX_GetStr(req->body + req->body_len,
		    (int)(len - req->body_len), fcgi->in);
		if (n <= 0)
			return 400;
		req->body_len += (size_t)n;
	}
	req->body[req->body_len] = '\0';
	return 0;
}

int
http_query_param(const struct http_request *req, const char *name,
    char *out, size_t outlen)
{
	const char *p = req->query, *end;
	size_t nlen = strlen(name), vlen;

	while (*p != '\0') {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			vlen = (size_t)(end - p) - nlen - 1;
			if (vlen >= outlen)
				return -1;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 1;
		}
		p = *end == '&' ? end + 1 : end;
	}
	return 0;
}

void
http_request_free(struct http_request *req)
{
	free(req->body);
	req->body = NULL;
}
