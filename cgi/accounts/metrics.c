/*
 * GET /metrics of the accounts service: its own request counters (the
 * service's), and the projector's figures, which the worker keeps in the
 * read model (projector_state, projector_events, dead_letters) in the
 * same transactions as the projection itself; and Redis's memory
 * (memory.c).
 */
#include <stdio.h>

#include "accounts.h"

/* One query of the read model's contract, run once: its first row in fn. */
static void
each_row(sqlite3 *db, enum rm_sql which, void (*fn)(sqlite3_stmt *, FILE *),
    FILE *out)
{
	sqlite3_stmt *st;

	if (read_model_prepare(db, which, &st) == -1)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(st, out);
	sqlite3_finalize(st);
}

static void
event_count(sqlite3_stmt *st, FILE *out)
{
	fprintf(out, "projector_events_total{outcome=\"%s\",type=\"%s\"} %lld\n",
	    (const char *)sqlite3_column_text(st, EVENT_COUNT_OUTCOME),
	    (const char *)sqlite3_column_text(st, EVENT_COUNT_TYPE),
	    (long long)sqlite3_column_int64(st, EVENT_COUNT_EVENTS));
}

static void
batch_stats(sqlite3_stmt *st, FILE *out)
{
	fprintf(out, "# HELP projector_batch_duration_seconds Time to apply "
	    "a batch of stream entries, from its BEGIN to its COMMIT "
	    "(the commit itself not included).\n"
	    "# TYPE projector_batch_duration_seconds summary\n"
	    "projector_batch_duration_seconds_count %lld\n"
	    "projector_batch_duration_seconds_sum %.6f\n",
	    (long long)sqlite3_column_int64(st, BATCH_STATS_BATCHES),
	    (double)sqlite3_column_int64(st, BATCH_STATS_BATCH_US) / 1e6);
	fprintf(out, "# HELP projector_reconciliations_total Times the stream "
	    "no longer had the last event this read model applied (a "
	    "failover lost it, or an older backup came back), and the read "
	    "model was rebuilt from it.\n"
	    "# TYPE projector_reconciliations_total counter\n"
	    "projector_reconciliations_total %lld\n",
	    (long long)sqlite3_column_int64(st, BATCH_STATS_RECONCILIATIONS));
}

static void
dead_letters(sqlite3_stmt *st, FILE *out)
{
	fprintf(out, "# HELP projector_dead_letters Stream entries the "
	    "projector could not apply, kept in the read model's "
	    "dead_letters table.\n"
	    "# TYPE projector_dead_letters gauge\n"
	    "projector_dead_letters %lld\n",
	    (long long)sqlite3_column_int64(st, DEAD_LETTER_COUNT));
}

static void
position(const struct stream_id *last, long long lag,
    const struct stream_info *info, FILE *out)
{
	char last_s[STREAM_ID_MAX];

	stream_id_format(last, last_s);
	fprintf(out, "# HELP projector_last_applied_info The last stream id "
	    "applied.\n# TYPE projector_last_applied_info gauge\n"
	    "projector_last_applied_info{event_id=\"%s\"} 1\n", last_s);
	fprintf(out, "# HELP projector_last_applied_timestamp_seconds When "
	    "the last stream entry applied was appended (its id's time).\n"
	    "# TYPE projector_last_applied_timestamp_seconds gauge\n"
	    "projector_last_applied_timestamp_seconds %.3f\n",
	    (double)last->ms / 1000);
	if (lag < 0)
		return;
	fprintf(out, "# HELP projector_lag_events Stream entries not yet "
	    "applied.\n# TYPE projector_lag_events gauge\n"
	    "projector_lag_events %lld\n", lag);
	fprintf(out, "# HELP projector_lag_seconds How far the last applied "
	    "entry is behind the stream's newest.\n"
	    "# TYPE projector_lag_seconds gauge\nprojector_lag_seconds %.3f\n",
	    lag > 0 && info->last_generated.ms > last->ms ?
	    (double)(info->last_generated.ms - last->ms) / 1000 : 0.0);
}

void
projector_metrics(struct service *svc, FILE *out)
{
	struct reader *r = &((struct accounts_app *)svc->app)->reader;
	struct stream_info info;
	struct stream_id last;
	long long seen, lag;

	memory_metrics(svc, out);
	if (reader_position(r, &last, &seen) == -1) {
		fprintf(out, "# the read model is not there yet\n");
		return;
	}
	lag = projection_lag(svc, seen, &info);
	fprintf(out, "# HELP projector_events_total Events the projector "
	    "applied or dead-lettered, by type.\n"
	    "# TYPE projector_events_total counter\n");
	each_row(r->db, RM_EVENT_COUNTS, event_count, out);
	each_row(r->db, RM_BATCH_STATS, batch_stats, out);
	each_row(r->db, RM_DEAD_LETTER_COUNT, dead_letters, out);
	position(&last, lag, &info, out);
	consumers_metrics(svc, out);
}
