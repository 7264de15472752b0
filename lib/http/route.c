#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "route.h"

/*
 * Matches path against pattern; on success the "*" segments are copied
 * into buf and args point at them.  No percent-decoding: ids are digits.
 */
static int
match(const char *pattern, const char *path, char *buf, size_t len,
    char **args)
{
	const char *p = pattern, *s = path;
	size_t used = 0, seg;
	int nargs = 0;

	while (*p != '\0' && *s != '\0') {
		if (*p == '*') {
			seg = strcspn(s, "/");
			if (seg == 0 || nargs == ROUTE_ARGS_MAX ||
			    used + seg + 1 > len)
				return 0;
			memcpy(buf + used, s, seg);
			buf[used + seg] = '\0';
			args[nargs++] = buf + used;
			used += seg + 1;
			s += seg;
			p++;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}

const struct route *
route_find(const struct route *table, size_t n, struct http_request *req,
    char *segbuf, size_t seglen, char **args)
{
	char allow[64] = "";
	size_t i;

	for (i = 0; i < n; i++) {
		if (!match(table[i].pattern, req->path, segbuf, seglen, args))
			continue;
		if (strcmp(table[i].method, req->method) == 0)
			return &table[i];
		if (allow[0] != '\0')
			strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
		strncat(allow, table[i].method, sizeof(allow) - strlen(allow) - 1);
	}
	if (allow[0] != '\0')
		http_respond_not_allowed(req, allow);
	else
		http_respond_error(req, 404, "no such resource");
	return NULL;
}

int
route_id(struct http_request *req, const char *segment, const char *what)
{
	char msg[96];
	uint64_t id;

	if (id_parse(segment, &id) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s id must be a decimal number", what);
	http_respond_error(req, 400, msg);
	return -1;
}

void
route_call(const struct route_call *call)
{
	const struct route *r = call->route;

	if (r->command.fn != NULL)
		r->command.fn(call, r->command.event);
	else if (r->read.fn != NULL)
		r->read.fn(call, r->read.read);
	else
		r->handler(call);
}
