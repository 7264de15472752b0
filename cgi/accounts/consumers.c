/*
 * The stream's consumers, as /status and /metrics show them: each
 * archive copy and each worker with its position and its last report
 * (db/retention.lua), and how far the stream was trimmed.  A worker
 * silent past CONSUMER_TIMEOUT is shown as stale: it no longer holds
 * trimming back, and reads the archive when it returns.
 */
#include <stdio.h>

#include "accounts.h"
#include "retention.h"

static double
age_s(const struct retention_state *st, const struct retention_consumer *c)
{
	return st->now_ms > c->seen_ms ?
	    (double)(st->now_ms - c->seen_ms) / 1000 : 0.0;
}

void
consumers_metrics(struct service *svc, FILE *out)
{
	struct retention_state st;
	const struct retention_consumer *c;
	size_t i;

	if (retention_state(&svc->redis, svc->cfg.stream_key, &st) == -1)
		return;
	fprintf(out, "# HELP stream_trimmed_through_timestamp_seconds The "
	    "time of the newest entry trimming has reached: older ones are "
	    "in the archive only.\n"
	    "# TYPE stream_trimmed_through_timestamp_seconds gauge\n"
	    "stream_trimmed_through_timestamp_seconds %.3f\n",
	    (double)st.mark.ms / 1000);
	fprintf(out, "# HELP stream_consumer_position_timestamp_seconds The "
	    "time of the last entry a consumer holds (an archive copy: "
	    "committed; a worker: applied).\n"
	    "# TYPE stream_consumer_position_timestamp_seconds gauge\n");
	for (i = 0; i < st.n; i++) {
		c = &st.c[i];
		fprintf(out, "stream_consumer_position_timestamp_seconds"
		    "{kind=\"%s\",name=\"%s\"} %.3f\n", c->kind, c->name,
		    (double)c->pos.ms / 1000);
	}
	fprintf(out, "# HELP stream_consumer_report_age_seconds Seconds since "
	    "a consumer last reported.\n"
	    "# TYPE stream_consumer_report_age_seconds gauge\n");
	for (i = 0; i < st.n; i++)
		fprintf(out, "stream_consumer_report_age_seconds"
		    "{kind=\"%s\",name=\"%s\"} %.3f\n", st.c[i].kind,
		    st.c[i].name, age_s(&st, &st.c[i]));
	fprintf(out, "# HELP stream_consumer_stale A worker silent past "
	    "CONSUMER_TIMEOUT: it no longer holds trimming back.\n"
	    "# TYPE stream_consumer_stale gauge\n");
	for (i = 0; i < st.n; i++)
		fprintf(out, "stream_consumer_stale{kind=\"%s\",name=\"%s\"} "
		    "%d\n", st.c[i].kind, st.c[i].name,
		    retention_consumer_stale(&st, &st.c[i]));
}

json_object *
consumers_json(struct service *svc)
{
	struct retention_state st;
	const struct retention_consumer *c;
	json_object *body, *list, *one;
	char id[STREAM_ID_MAX];
	size_t i;

	if (retention_state(&svc->redis, svc->cfg.stream_key, &st) == -1 ||
	    (body = json_object_new_object()) == NULL)
		return NULL;
	stream_id_format(&st.mark, id);
	json_object_object_add(body, "trimmed_through",
	    json_object_new_string(id));
	list = json_object_new_array();
	json_object_object_add(body, "consumers", list);
	for (i = 0; list != NULL && i < st.n; i++) {
		c = &st.c[i];
		if ((one = json_object_new_object()) == NULL)
			break;
		stream_id_format(&c->pos, id);
		json_object_object_add(one, "kind",
		    json_object_new_string(c->kind));
		json_object_object_add(one, "name",
		    json_object_new_string(c->name));
		json_object_object_add(one, "position",
		    json_object_new_string(id));
		json_object_object_add(one, "report_age_seconds",
		    json_object_new_double(age_s(&st, c)));
		json_object_object_add(one, "stale", json_object_new_boolean(
		    retention_consumer_stale(&st, c)));
		json_object_array_add(list, one);
	}
	return body;
}
