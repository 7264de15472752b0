/*
 * GET /metrics of the accounts service: its own request counters, and
 * the projector's figures, which the worker keeps in the read model
 * (projector_state, projector_counters, dead_letters) in the same
 * transactions as the projection itself.
 */
#include <stdio.h>
#include <string.h>

#include "accounts.h"

/* XINFO STREAM: entries-added and the newest id; -1 if Redis is down. */
static int
stream_head(struct accounts_app *a, long long *added, struct stream_id *newest)
{
	redisReply *r;
	size_t i;

	*added = 0;
	newest->ms = newest->seq = 0;
	if ((r = redis_conn_command(&a->redis, "XINFO STREAM %s",
	    a->cfg.stream_key)) == NULL)
		return -1;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2) {
		if (r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(r->element[i]->str, "entries-added") == 0 &&
		    r->element[i + 1]->type == REDIS_REPLY_INTEGER)
			*added = r->element[i + 1]->integer;
		else if (strcmp(r->element[i]->str, "last-generated-id") == 0 &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING)
			stream_id_parse(r->element[i + 1]->str, newest);
	}
	freeReplyObject(r);
	return 0;
}

static void
counters(sqlite3 *db, FILE *out)
{
	sqlite3_stmt *st;
	const char *name;
	long long v;

	if (sqlite3_prepare_v2(db, "SELECT name, value FROM projector_counters"
	    " ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return;
	fprintf(out, "# HELP projector_events_total Events the projector "
	    "applied or dead-lettered, by type.\n"
	    "# TYPE projector_events_total counter\n"
	    "# TYPE projector_batch_duration_seconds summary\n");
	while (sqlite3_step(st) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		v = sqlite3_column_int64(st, 1);
		if (strncmp(name, "applied:", 8) == 0)
			fprintf(out, "projector_events_total{outcome=\"applied\","
			    "type=\"%s\"} %lld\n", name + 8, v);
		else if (strncmp(name, "rejected:", 9) == 0)
			fprintf(out, "projector_events_total{outcome="
			    "\"dead_letter\",type=\"%s\"} %lld\n", name + 9, v);
		else if (strcmp(name, "batches") == 0)
			fprintf(out, "projector_batch_duration_seconds_count "
			    "%lld\n", v);
		else if (strcmp(name, "batch_us") == 0)
			fprintf(out, "projector_batch_duration_seconds_sum "
			    "%.6f\n", (double)v / 1e6);
	}
	sqlite3_finalize(st);
}

static long long
dead_letters(sqlite3 *db)
{
	sqlite3_stmt *st;
	long long n = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM dead_letters", -1,
	    &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
projector_metrics(void *ctx, FILE *out)
{
	struct accounts_app *a = ctx;
	struct stream_id last, newest;
	long long seen, added, lag;
	char last_s[STREAM_ID_MAX];
	int redis_up;

	if (read_model_position(&a->rm, &last, &seen) == -1) {
		fprintf(out, "# the read model is not there yet\n");
		return;
	}
	redis_up = stream_head(a, &added, &newest) == 0;
	stream_id_format(&last, last_s);
	counters(a->rm.db, out);
	fprintf(out, "# TYPE projector_dead_letters gauge\n"
	    "projector_dead_letters %lld\n", dead_letters(a->rm.db));
	fprintf(out, "# HELP projector_last_applied_info The last stream id "
	    "applied.\n# TYPE projector_last_applied_info gauge\n"
	    "projector_last_applied_info{event_id=\"%s\"} 1\n", last_s);
	fprintf(out, "# TYPE projector_last_applied_timestamp_seconds gauge\n"
	    "projector_last_applied_timestamp_seconds %.3f\n",
	    (double)last.ms / 1000);
	if (!redis_up)
		return;
	lag = added > seen ? added - seen : 0;
	fprintf(out, "# HELP projector_lag_events Stream entries not yet "
	    "applied.\n# TYPE projector_lag_events gauge\n"
	    "projector_lag_events %lld\n", lag);
	fprintf(out, "# HELP projector_lag_seconds How far the last applied "
	    "entry is behind the stream's newest.\n"
	    "# TYPE projector_lag_seconds gauge\nprojector_lag_seconds %.3f\n",
	    lag > 0 && newest.ms > last.ms ?
	    (double)(newest.ms - last.ms) / 1000 : 0.0);
}

void
metrics_get(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct accounts_app *a = app;

	(void)user;
	(void)args;
	metrics_respond(req, &a->metrics, a->routes, a->nroutes,
	    projector_metrics, a);
}
