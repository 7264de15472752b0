/*
 * GET /accounts, GET /accounts/{id}, GET /accounts/{id}/is-owned-by/{user}:
 * reads of the projection, each inside one read transaction so that an
 * account and its customers come from the same snapshot.
 *
 * The lists are pages (page.h) of at most CONTRACT_PAGE_MAX items, an
 * account or a customer each, and one more when an account's first
 * customer must come with it (every page moves on): the largest item, an
 * account whose name and description are 200 quotes (escaped, 400 bytes
 * each), is 1,034 bytes, so a page stays under 1 MiB.  A page keeps the
 * seed's shape, an array of accounts each with its customers; an account
 * whose customers go on on the next page comes again there, with the
 * rest.  The cursor is "<account>.<customer>": where the page stopped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "decode.h"
#include "log.h"
#include "page.h"

enum read_result { READ_OK, READ_NOT_FOUND, READ_FAILED };

/* Where a page starts, and how much of it is left. */
struct walk {
	int64_t	account;	/* the first account, or 0 */
	int64_t	customer;	/* in it, the customers after this id */
	int	left;		/* items the page may still hold */
	char	next[PAGE_CURSOR_MAX];	/* where the next page starts; "" */
};

static json_object *
text_column(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return json_object_new_string(s != NULL ? (const char *)s : "");
}

static json_object *
customer_json(sqlite3_stmt *st)
{
	json_object *c;
	char id[24];

	if ((c = json_object_new_object()) == NULL)
		return NULL;
	snprintf(id, sizeof(id), "%lld", (long long)sqlite3_column_int64(st,
	    CUSTOMER_ID));
	json_object_object_add(c, "customer_id", json_object_new_string(id));
	json_object_object_add(c, "name", text_column(st, CUSTOMER_NAME));
	json_object_object_add(c, "total_revenue_cents",
	    json_object_new_int64(sqlite3_column_int64(st,
	    CUSTOMER_TOTAL_REVENUE_CENTS)));
	return c;
}

/* The account's customers after w->customer, as many as w->left allows. */
static int
customers_json(struct reader *r, int64_t account, json_object *list,
    struct walk *w)
{
	sqlite3_stmt *st = r->stmt[RS_CUSTOMERS_OF_ACCOUNT];
	json_object *c;
	int64_t last = w->customer;
	int rc, emitted = 0;

	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_int64(st, 2, w->customer);
	sqlite3_bind_int(st, 3, (w->left > 0 ? w->left : 1) + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/*
		 * One more than fits: cut here.  An account brings at least
		 * one of its customers, so that every page moves on.
		 */
		if (w->left <= 0 && emitted > 0) {
			snprintf(w->next, sizeof(w->next), "%" PRId64 ".%" PRId64,
			    account, last);
			rc = SQLITE_DONE;
			break;
		}
		if ((c = customer_json(st)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		json_object_array_add(list, c);
		last = sqlite3_column_int64(st, CUSTOMER_ID);
		w->left--;
		emitted++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The original's element shape, for the account row stmt points at. */
static json_object *
account_json(struct reader *r, sqlite3_stmt *stmt, struct walk *w)
{
	json_object *out, *acct, *customers;
	int64_t id = sqlite3_column_int64(stmt, ACCOUNT_ID);

	out = json_object_new_object();
	acct = json_object_new_object();
	customers = json_object_new_array();
	if (out == NULL || acct == NULL || customers == NULL)
		goto fail;
	json_object_object_add(acct, "id", json_object_new_int64(id));
	json_object_object_add(acct, "name", text_column(stmt, ACCOUNT_NAME));
	json_object_object_add(acct, "description",
	    text_column(stmt, ACCOUNT_DESCRIPTION));
	json_object_object_add(acct, "owned_by",
	    text_column(stmt, ACCOUNT_OWNED_BY));
	json_object_object_add(acct, "created_date",
	    text_column(stmt, ACCOUNT_CREATED_DATE));
	json_object_object_add(out, "account", acct);
	acct = NULL;
	if (customers_json(r, id, customers, w) == -1)
		goto fail;
	json_object_object_add(out, "customers", customers);
	json_object_object_add(out, "total_revenue_cents",
	    json_object_new_int64(sqlite3_column_int64(stmt,
	    ACCOUNT_TOTAL_REVENUE_CENTS)));
	return out;
fail:
	json_object_put(out);
	json_object_put(acct);
	json_object_put(customers);
	return NULL;
}

static void
respond_unavailable(struct http_request *req, struct reader *r)
{
	if (r->db != NULL)
		log_warn("%s %s: %s", req->method, req->path,
		    sqlite3_errmsg(r->db));
	http_respond_error(req, 503, "read model unavailable");
}

/* "<account>.<customer>" (customer 0: the account from its start). */
static int
walk_start(const char *cursor, int limit, struct walk *w)
{
	char account[24];
	const char *dot = strchr(cursor, '.');
	uint64_t a, c = 0;

	memset(w, 0, sizeof(*w));
	w->left = limit;
	if (cursor[0] == '\0')
		return 0;
	if (dot == NULL || (size_t)(dot - cursor) >= sizeof(account))
		return -1;
	memcpy(account, cursor, (size_t)(dot - cursor));
	account[dot - cursor] = '\0';
	if (id_parse(account, &a) == -1 ||
	    (strcmp(dot + 1, "0") != 0 && id_parse(dot + 1, &c) == -1))
		return -1;
	w->account = (int64_t)a;
	w->customer = (int64_t)c;
	return 0;
}

/* One page of the user's accounts, from w on; NULL on failure. */
static json_object *
accounts_json(struct reader *r, const char *user, struct walk *w)
{
	sqlite3_stmt *st = r->stmt[RS_ACCOUNTS_OF_OWNER];
	json_object *list, *item;
	int rc = SQLITE_DONE;

	if ((list = json_object_new_array()) == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->account > 0 ? w->account - 1 : 0);
	sqlite3_bind_int(st, 3, w->left + 1);
	while (w->next[0] == '\0' && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (w->left <= 0) {
			snprintf(w->next, sizeof(w->next), "%lld.0",
			    (long long)sqlite3_column_int64(st, ACCOUNT_ID));
			break;
		}
		if (sqlite3_column_int64(st, ACCOUNT_ID) != w->account)
			w->customer = 0;
		w->left--;
		if ((item = account_json(r, st, w)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		json_object_array_add(list, item);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (w->next[0] == '\0' && rc != SQLITE_DONE) {
		json_object_put(list);
		return NULL;
	}
	return list;
}

/* The answer to a page: its text, kept with the Link of the next page. */
static void
respond_page(const struct route_call *call, struct list_cache *cache,
    const struct list_cache_key *key, json_object *list, const char *next,
    int limit)
{
	char link[HTTP_PATH_MAX + 96] = "";
	const char *body;
	size_t len;

	if ((body = json_object_to_json_string_length(list, HTTP_JSON_FLAGS,
	    &len)) == NULL || (next[0] != '\0' && page_link_next(call->req,
	    limit, next, link, sizeof(link)) == -1)) {
		http_respond_error(call->req, 500, "out of memory");
		return;
	}
	list_cache_put(cache, key, body, len, link);
	http_respond_json_text(call->req, 200, link[0] != '\0' ? link : NULL,
	    body);
}

/*
 * The caller's accounts, a page.  The answer is kept per user, page and
 * read model version (list_cache.c): until the worker commits again, the
 * same question gets the same bytes without a query.
 */
void
account_list(const struct route_call *call)
{
	struct accounts_app *a = APP(call);
	struct list_cache_key key;
	struct page pg;
	struct walk w;
	json_object *list;
	const char *body, *link;

	if (page_of(call->req, &pg) == -1 || read_wait_after(call) == -1)
		return;
	if (walk_start(pg.cursor, pg.limit, &w) == -1) {
		http_respond_error(call->req, 400, "cursor must be one a page gave");
		return;
	}
	if (reader_begin(&a->reader, &key.version) == -1) {
		respond_unavailable(call->req, &a->reader);
		return;
	}
	list_cache_key_set(&key, call->user, pg.limit, pg.cursor);
	if ((body = list_cache_get(&a->list_cache, &key, &link)) != NULL) {
		reader_end(&a->reader);
		http_respond_json_text(call->req, 200, link, body);
		return;
	}
	list = accounts_json(&a->reader, call->user, &w);
	reader_end(&a->reader);
	if (list == NULL)
		respond_unavailable(call->req, &a->reader);
	else
		respond_page(call, &a->list_cache, &key, list, w.next, pg.limit);
	json_object_put(list);
}

/* Finds account id; on READ_OK the row is current in RS_ACCOUNT (caller resets). */
static enum read_result
account_find(struct reader *r, const char *id_s)
{
	sqlite3_stmt *st = r->stmt[RS_ACCOUNT];
	uint64_t id;
	int rc;

	id_parse(id_s, &id);
	sqlite3_bind_int64(st, 1, (int64_t)id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return READ_OK;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? READ_NOT_FOUND : READ_FAILED;
}

static int
owned_by(sqlite3_stmt *account, const char *user)
{
	const unsigned char *owner = sqlite3_column_text(account,
	    ACCOUNT_OWNED_BY);

	return owner != NULL && strcmp((const char *)owner, user) == 0;
}

/* The account, a page of its customers: 200, 403, 404 or 503. */
static int
account_page(const struct route_call *call, struct walk *w,
    json_object **item)
{
	struct reader *r = &APP(call)->reader;
	enum read_result res;
	int status = 200;

	if (reader_begin(r, NULL) == -1)
		return 503;
	if ((res = account_find(r, call->args[0])) != READ_OK) {
		reader_end(r);
		return res == READ_NOT_FOUND ? 404 : 503;
	}
	if (!owned_by(r->stmt[RS_ACCOUNT], call->user))
		status = 403;
	else if ((*item = account_json(r, r->stmt[RS_ACCOUNT], w)) == NULL)
		status = 503;
	sqlite3_reset(r->stmt[RS_ACCOUNT]);
	reader_end(r);
	return status;
}

void
account_get(const struct route_call *call)
{
	json_object *item = NULL;
	char link[HTTP_PATH_MAX + 96] = "", *dot;
	struct page pg;
	struct walk w;
	uint64_t after = 0;
	int status;

	if (route_id(call->req, call->args[0], "account") == -1 ||
	    page_of(call->req, &pg) == -1 || read_wait_after(call) == -1)
		return;
	if (pg.cursor[0] != '\0' && id_parse(pg.cursor, &after) == -1) {
		http_respond_error(call->req, 400, "cursor must be one a page gave");
		return;
	}
	memset(&w, 0, sizeof(w));
	w.customer = (int64_t)after;
	w.left = pg.limit;
	status = account_page(call, &w, &item);
	/* One account: the cursor is the customer alone. */
	if (w.next[0] != '\0' && (dot = strchr(w.next, '.')) != NULL)
		page_link_next(call->req, pg.limit, dot + 1, link, sizeof(link));
	if (status == 200)
		http_respond_json_ext(call->req, 200, link[0] != '\0' ? link :
		    NULL, item);
	else if (status == 403)
		http_respond_error(call->req, 403, "account belongs to another user");
	else if (status == 404)
		http_respond_error(call->req, 404, "no such account");
	else
		respond_unavailable(call->req, &APP(call)->reader);
	json_object_put(item);
}

void
account_is_owned_by(const struct route_call *call)
{
	struct reader *r = &APP(call)->reader;
	json_object *body;
	enum read_result res;
	int ok = 0;

	if (route_id(call->req, call->args[0], "account") == -1)
		return;
	/* Not an oracle of who owns what: a caller asks about itself, and
	 * another user's account is as unknown to it as no account. */
	if (strcmp(call->args[1], call->user) != 0) {
		http_respond_error(call->req, 403, "one may ask only about "
		    "oneself");
		return;
	}
	if (reader_get(r) == NULL ||
	    (res = account_find(r, call->args[0])) == READ_FAILED) {
		respond_unavailable(call->req, r);
		return;
	}
	if (res == READ_OK) {
		ok = owned_by(r->stmt[RS_ACCOUNT], call->args[1]);
		sqlite3_reset(r->stmt[RS_ACCOUNT]);
	}
	if ((body = json_object_new_object()) == NULL) {
		http_respond_error(call->req, 500, "out of memory");
		return;
	}
	json_object_object_add(body, "ok", json_object_new_boolean(ok));
	http_respond_json(call->req, 200, body);
	json_object_put(body);
}
