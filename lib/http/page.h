/*
 * Pages of a list: ?limit= (CONTRACT_PAGE_DEFAULT, at most
 * CONTRACT_PAGE_MAX) and an opaque ?cursor= that the previous page gave;
 * a page that was cut says where the next starts in a Link header
 * (RFC 8288), so that the answer keeps its shape, a plain array.
 */
#ifndef PAGE_H
#define PAGE_H

#include <stddef.h>

#include "http.h"

#define PAGE_CURSOR_MAX	48

struct page {
	int	limit;
	char	cursor[PAGE_CURSOR_MAX];	/* "" for the first page */
};

/* The request's page; 0, or -1 after answering 400. */
int	page_of(struct http_request *req, struct page *pg);

/*
 * "Link: <path?limit=N&cursor=C>; rel=\"next\"\r\n" into buf, for the
 * request's own path; -1 if it does not fit.
 */
int	page_link_next(const struct http_request *req, int limit,
	    const char *cursor, char *buf, size_t len);

#endif
