#include <stdio.h>
#include <string.h>

#include "contract.h"
#include "decode.h"
#include "page.h"

#define STR(x)	STR_(x)
#define STR_(x)	#x

/* Cursors are made of ids and dots: nothing a URL or a header must escape. */
static int
cursor_chars_ok(const char *s)
{
	return strspn(s, "0123456789.") == strlen(s);
}

int
page_of(struct http_request *req, struct page *pg)
{
	char limit[16];
	uint64_t n;
	int found;

	pg->limit = CONTRACT_PAGE_DEFAULT;
	pg->cursor[0] = '\0';
	if ((found = http_query_param(req, "limit", limit, sizeof(limit))) ==
	    -1 || (found == 1 && (id_parse(limit, &n) == -1 ||
	    n > CONTRACT_PAGE_MAX))) {
		http_respond_error(req, 400, "limit must be a number from 1 to "
		    STR(CONTRACT_PAGE_MAX));
		return -1;
	}
	if (found == 1)
		pg->limit = (int)n;
	found = http_query_param(req, "cursor", pg->cursor, sizeof(pg->cursor));
	if (found == -1 || !cursor_chars_ok(pg->cursor)) {
		pg->cursor[0] = '\0';
		http_respond_error(req, 400, "cursor must be one a page gave");
		return -1;
	}
	return 0;
}

int
page_link_next(const struct http_request *req, int limit, const char *cursor,
    char *buf, size_t len)
{
	int n = snprintf(buf, len, "Link: <%s?limit=%d&cursor=%s>; "
	    "rel=\"next\"\r\n", req->path, limit, cursor);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}
