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
#include "route.h"

enum read_result { READ_OK, READ_NOT_FOUND, READ_FAILED };

static json_object *
text_column(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return json_object_new_string(s != NULL ? (const char *)s : "");
}

/* {"customer_id","name","total_revenue_cents"} for each, and their sum. */
static int
customers_json(struct read_model *rm, int64_t account_id, json_object *list,
    int64_t *total)
{
	sqlite3_stmt *st = rm->customers;
	json_object *c;
	char id[DECODE_ID_MAX];
	int64_t cents;
	int rc;

	*total = 0;
	sqlite3_bind_int64(st, 1, account_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(id, sizeof(id), "%lld",
		    (long long)sqlite3_column_int64(st, 0));
		cents = sqlite3_column_int64(st, 2);
		if (__builtin_add_overflow(*total, cents, total) ||
		    (c = json_object_new_object()) == NULL) {
			rc = SQLITE_ERROR;
			break;
		}
		json_object_object_add(c, "customer_id",
		    json_object_new_string(id));
		json_object_object_add(c, "name", text_column(st, 1));
		json_object_object_add(c, "total_revenue_cents",
		    json_object_new_int64(cents));
		json_object_array_add(list, c);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The original's element shape, for the account row stmt points at. */
static json_object *
account_json(struct read_model *rm, sqlite3_stmt *stmt)
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
	if (customers_json(rm, id, customers, &total) == -1)
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
respond_unavailable(struct http_request *req, struct read_model *rm)
{
	if (rm->db != NULL)
		log_warn("%s %s: %s", req->method, req->path,
		    sqlite3_errmsg(rm->db));
	http_respond_error(req, 503, "read model unavailable");
}

/*
 * The caller's accounts.  The answer is kept per user and read model
 * version (list_cache.c): until the worker commits again, the same
 * question gets the same bytes without a query.
 */
void
account_list(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct accounts_app *a = app;
	struct read_model *rm = &a->rm;
	struct read_model_version version;
	json_object *list = NULL, *item;
	const char *body;
	sqlite3_stmt *st;
	size_t len;
	int rc;

	(void)args;
	if (read_wait_after(a, req) == -1)
		return;
	if (read_model_begin(rm, &version) == -1) {
		respond_unavailable(req, rm);
		return;
	}
	if ((body = list_cache_get(&a->list_cache, user, &version)) != NULL) {
		read_model_end(rm);
		http_respond_json_text(req, 200, body);
		return;
	}
	st = rm->by_owner;
	if ((list = json_object_new_array()) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((item = account_json(rm, st)) == NULL)
			break;
		json_object_array_add(list, item);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		goto fail;
	read_model_end(rm);
	if ((body = json_object_to_json_string_length(list, HTTP_JSON_FLAGS,
	    &len)) == NULL) {
		http_respond_error(req, 500, "out of memory");
	} else {
		list_cache_put(&a->list_cache, user, &version, body, len);
		http_respond_json_text(req, 200, body);
	}
	json_object_put(list);
	return;
fail:
	read_model_end(rm);
	json_object_put(list);
	respond_unavailable(req, rm);
}

/* Finds account id; on READ_OK the row is current in rm->by_id (caller resets). */
static enum read_result
account_find(struct read_model *rm, int64_t id)
{
	int rc;

	sqlite3_bind_int64(rm->by_id, 1, id);
	rc = sqlite3_step(rm->by_id);
	if (rc == SQLITE_ROW)
		return READ_OK;
	sqlite3_reset(rm->by_id);
	return rc == SQLITE_DONE ? READ_NOT_FOUND : READ_FAILED;
}

void
account_get(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct accounts_app *a = app;
	struct read_model *rm = &a->rm;
	json_object *item = NULL;
	uint64_t id;
	enum read_result res;
	int mine;

	if (route_id(req, args[0], "account") == -1 ||
	    read_wait_after(a, req) == -1)
		return;
	id_parse(args[0], &id);
	if (read_model_begin(rm, NULL) == -1) {
		respond_unavailable(req, rm);
		return;
	}
	if ((res = account_find(rm, (int64_t)id)) != READ_OK) {
		read_model_end(rm);
		if (res == READ_NOT_FOUND)
			http_respond_error(req, 404, "no such account");
		else
			respond_unavailable(req, rm);
		return;
	}
	mine = strcmp((const char *)sqlite3_column_text(rm->by_id, 3),
	    user) == 0;
	if (mine)
		item = account_json(rm, rm->by_id);
	sqlite3_reset(rm->by_id);
	read_model_end(rm);
	if (!mine)
		http_respond_error(req, 403, "account belongs to another user");
	else if (item == NULL)
		respond_unavailable(req, rm);
	else
		http_respond_json(req, 200, item);
	json_object_put(item);
}

void
account_is_owned_by(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct accounts_app *a = app;
	struct read_model *rm = &a->rm;
	json_object *body;
	uint64_t id;
	enum read_result res;
	int ok = 0;

	(void)user;
	if (route_id(req, args[0], "account") == -1)
		return;
	id_parse(args[0], &id);
	if (read_model_get(rm) == NULL) {
		respond_unavailable(req, rm);
		return;
	}
	if ((res = account_find(rm, (int64_t)id)) == READ_FAILED) {
		respond_unavailable(req, rm);
		return;
	}
	if (res == READ_OK) {
		ok = strcmp((const char *)sqlite3_column_text(rm->by_id, 3),
		    args[1]) == 0;
		sqlite3_reset(rm->by_id);
	}
	if ((body = json_object_new_object()) == NULL) {
		http_respond_error(req, 500, "out of memory");
		return;
	}
	json_object_object_add(body, "ok", json_object_new_boolean(ok));
	http_respond_json(req, 200, body);
	json_object_put(body);
}
