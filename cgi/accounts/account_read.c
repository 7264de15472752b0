/*
 * GET /accounts, GET /accounts/{id}, GET /accounts/{id}/is-owned-by/{user}:
 * reads of the projection, each inside one read transaction so that an
 * account and its customers come from the same snapshot.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "decode.h"
#include "log.h"

enum read_result { READ_OK, READ_NOT_FOUND, READ_FAILED };

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
	snprintf(id, sizeof(id), "%lld", (long long)sqlite3_column_int64(st, 0));
	json_object_object_add(c, "customer_id", json_object_new_string(id));
	json_object_object_add(c, "name", text_column(st, 1));
	json_object_object_add(c, "total_revenue_cents",
	    json_object_new_int64(sqlite3_column_int64(st, 2)));
	return c;
}

/* {"customer_id","name","total_revenue_cents"} for each, and their sum. */
static int
customers_json(struct reader *r, int64_t account_id, json_object *list,
    int64_t *total)
{
	sqlite3_stmt *st = r->stmt[RS_CUSTOMERS_OF_ACCOUNT];
	json_object *c;
	int rc;

	*total = 0;
	sqlite3_bind_int64(st, 1, account_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (__builtin_add_overflow(*total, sqlite3_column_int64(st, 2),
		    total) || (c = customer_json(st)) == NULL) {
			rc = SQLITE_ERROR;
			break;
		}
		json_object_array_add(list, c);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The original's element shape, for the account row stmt points at. */
static json_object *
account_json(struct reader *r, sqlite3_stmt *stmt)
{
	json_object *out, *acct, *customers;
	int64_t id = sqlite3_column_int64(stmt, 0), total;

	out = json_object_new_object();
	acct = json_object_new_object();
	customers = json_object_new_array();
	if (out == NULL || acct == NULL || customers == NULL)
		goto fail;
	json_object_object_add(acct, "id", json_object_new_int64(id));
	json_object_object_add(acct, "name", text_column(stmt, 1));
	json_object_object_add(acct, "description", text_column(stmt, 2));
	json_object_object_add(acct, "owned_by", text_column(stmt, 3));
	json_object_object_add(acct, "created_date", text_column(stmt, 4));
	json_object_object_add(out, "account", acct);
	acct = NULL;
	if (customers_json(r, id, customers, &total) == -1)
		goto fail;
	json_object_object_add(out, "customers", customers);
	json_object_object_add(out, "total_revenue_cents",
	    json_object_new_int64(total));
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

/* The user's accounts, as a JSON array; NULL on failure. */
static json_object *
accounts_json(struct reader *r, const char *user)
{
	sqlite3_stmt *st = r->stmt[RS_ACCOUNTS_OF_OWNER];
	json_object *list, *item;
	int rc;

	if ((list = json_object_new_array()) == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((item = account_json(r, st)) == NULL)
			break;
		json_object_array_add(list, item);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		json_object_put(list);
		return NULL;
	}
	return list;
}

/*
 * The caller's accounts.  The answer is kept per user and read model
 * version (list_cache.c): until the worker commits again, the same
 * question gets the same bytes without a query.
 */
void
account_list(const struct route_call *call)
{
	struct accounts_app *a = APP(call);
	struct reader_version version;
	json_object *list;
	const char *body;
	size_t len;

	if (read_wait_after(call) == -1)
		return;
	if (reader_begin(&a->reader, &version) == -1) {
		respond_unavailable(call->req, &a->reader);
		return;
	}
	if ((body = list_cache_get(&a->list_cache, call->user,
	    &version)) != NULL) {
		reader_end(&a->reader);
		http_respond_json_text(call->req, 200, body);
		return;
	}
	list = accounts_json(&a->reader, call->user);
	reader_end(&a->reader);
	if (list == NULL)
		respond_unavailable(call->req, &a->reader);
	else if ((body = json_object_to_json_string_length(list,
	    HTTP_JSON_FLAGS, &len)) == NULL)
		http_respond_error(call->req, 500, "out of memory");
	else {
		list_cache_put(&a->list_cache, call->user, &version, body, len);
		http_respond_json_text(call->req, 200, body);
	}
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
	const unsigned char *owner = sqlite3_column_text(account, 3);

	return owner != NULL && strcmp((const char *)owner, user) == 0;
}

void
account_get(const struct route_call *call)
{
	struct reader *r = &APP(call)->reader;
	json_object *item = NULL;
	enum read_result res;
	int mine;

	if (route_id(call->req, call->args[0], "account") == -1 ||
	    read_wait_after(call) == -1)
		return;
	if (reader_begin(r, NULL) == -1) {
		respond_unavailable(call->req, r);
		return;
	}
	if ((res = account_find(r, call->args[0])) != READ_OK) {
		reader_end(r);
		if (res == READ_NOT_FOUND)
			http_respond_error(call->req, 404, "no such account");
		else
			respond_unavailable(call->req, r);
		return;
	}
	if ((mine = owned_by(r->stmt[RS_ACCOUNT], call->user)))
		item = account_json(r, r->stmt[RS_ACCOUNT]);
	sqlite3_reset(r->stmt[RS_ACCOUNT]);
	reader_end(r);
	if (!mine)
		http_respond_error(call->req, 403,
		    "account belongs to another user");
	else if (item == NULL)
		respond_unavailable(call->req, r);
	else
		http_respond_json(call->req, 200, item);
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
