#include <stdio.h>
#include <stdlib.h>

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
	/* nginx's: no one reads it, but the logs and metrics tell it apart. */
	case 499: return "Client Closed Request";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default:  return status >= 400 && status < 500 ? "Bad Request" :
		      "Internal Server Error";
	}
}

/*
 * The status line and what every answer carries: nosniff, so that no
 * browser reads an answer as anything but its Content-Type.
 */
static void
head(struct http_request *req, int status)
{
	FCGX_FPrintF(req->fcgi->out, "Status: %d %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n", status,
	    http_status_text(status));
	req->answered = 1;
	req->status = status;
}

static void
respond(struct http_request *req, int status, const char *extra,
    const char *body)
{
	head(req, status);
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
}

void
http_respond_text(struct http_request *req, int status,
    const char *content_type, const char *body)
{
	head(req, status);
	FCGX_FPrintF(req->fcgi->out, "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n\r\n", content_type);
	FCGX_PutS(body, req->fcgi->out);
}

void
http_respond_empty(struct http_request *req, int status, const char *extra)
{
	respond(req, status, extra, NULL);
}

void
http_respond_json_ext(struct http_request *req, int status, const char *extra,
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
	http_respond_json_ext(req, status, NULL, body);
}

void
http_respond_json_text(struct http_request *req, int status,
    const char *extra, const char *text)
{
	respond(req, status, extra, text);
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
	http_respond_json_ext(req, status, extra, body);
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

void
http_respond_decode_error(struct http_request *req,
    const struct decode_error *err)
{
	http_respond_error(req, err->no_memory ? 500 : 400, err->msg);
}
