#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default:  return status >= 400 && status < 500 ? "Bad Request" :
		      "Internal Server Error";
	}
}

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

static void
respond(struct http_request *req, int status, const char *extra,
    const char *body)
{
	FCGX_FPrintF(req->fcgi->out, "Status: %d %s\r\n", status,
	    http_status_text(status));
	if (extra != NULL)
		FCGX_PutS(extra, req->fcgi->out);
	if (body != NULL) {
		FCGX_FPrintF(req->fcgi->out,
		    "Content-Type: application/json\r\n"
		    "Cache-Control: no-store\r\n\r\n");
		FCGX_PutS(body, req->fcgi->out);
		FCGX_PutS("\n", req->fcgi->out);
	} else
		FCGX_PutS("\r\n", req->fcgi->out);
	req->answered = 1;
	req->status = status;
}

void
http_respond_text(struct http_request *req, int status,
    const char *content_type, const char *body)
{
	FCGX_FPrintF(req->fcgi->out, "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Cache-Control: no-store\r\n\r\n", status, http_status_text(status),
	    content_type);
	FCGX_PutS(body, req->fcgi->out);
	req->answered = 1;
	req->status = status;
}

void
http_respond_empty(struct http_request *req, int status, const char *extra)
{
	respond(req, status, extra, NULL);
}

static void
respond_json_ext(struct http_request *req, int status, const char *extra,
    json_object *body)
{
	const char *text = NULL;

	if (body != NULL)
		text = json_object_to_json_string_ext(body, HTTP_JSON_FLAGS);
	if (body != NULL && text == NULL) {
		respond(req, 500, NULL, "{\"error\":\"out of memory\"}");
		return;
	}
	respond(req, status, extra, text);
}

void
http_respond_json(struct http_request *req, int status, json_object *body)
{
	respond_json_ext(req, status, NULL, body);
}

void
http_respond_json_text(struct http_request *req, int status, const char *text)
{
	respond(req, status, NULL, text);
}

/*
 * The message goes through json-c for escaping; the fixed literal is the
 * one answer left when json-c cannot allocate.
 */
void
http_respond_error_ext(struct http_request *req, int status,
    const char *extra, const char *msg)
{
	json_object *body = json_object_new_object();
	json_object *m = json_object_new_string(msg);

	if (body == NULL || m == NULL ||
	    json_object_object_add(body, "error", m) != 0) {
		json_object_put(m);
		json_object_put(body);
		respond(req, 500, NULL, "{\"error\":\"out of memory\"}");
		return;
	}
	respond_json_ext(req, status, extra, body);
	json_object_put(body);
}

void
http_respond_error(struct http_request *req, int status, const char *msg)
{
	http_respond_error_ext(req, status, NULL, msg);
}

void
http_respond_not_allowed(struct http_request *req, const char *allow)
{
	char hdr[128];

	snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
	http_respond_error_ext(req, 405, hdr, "method not allowed");
}
