#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "shm.h"

#define METRICS_VERSION 4	/* the layout of struct metrics_shm */

static const int statuses[METRICS_STATUSES - 1] = {
	200, 201, 204, 400, 401, 403, 404, 405, 409, 411, 413, 414, 422, 429,
	431, 499, 500, 503, 504,
};

/* Upper bounds in microseconds; the last bucket is +Inf. */
static const uint64_t bounds_us[METRICS_BUCKETS] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	1000000, 2500000,
};

void
metrics_open(struct metrics *m, const char *var_dir, const char *service)
{
	m->service = service;
	m->shm = shm_map(var_dir, "metrics", service, sizeof(struct metrics_shm));
	/* A file of another layout: start over rather than misread it. */
	if (m->shm != NULL && m->shm->version != METRICS_VERSION) {
		memset(m->shm, 0, sizeof(*m->shm));
		m->shm->version = METRICS_VERSION;
	}
}

static size_t
status_index(int status)
{
	size_t i;

	for (i = 0; i < METRICS_STATUSES - 1; i++)
		if (statuses[i] == status)
			return i;
	return METRICS_STATUSES - 1;
}

void
metrics_request(struct metrics *m, size_t route, int status, uint64_t micros)
{
	size_t b;

	if (m->shm == NULL)
		return;
	if (route >= METRICS_ROUTES)
		route = METRICS_ROUTES - 1;
	for (b = 0; b < METRICS_BUCKETS && micros > bounds_us[b]; b++)
		;
	atomic_fetch_add(&m->shm->requests[route][status_index(status)], 1);
	atomic_fetch_add(&m->shm->latency[route][b], 1);
	atomic_fetch_add(&m->shm->latency_us_sum[route], micros);
}

void
metrics_event(struct metrics *m, enum event_type type)
{
	if (m->shm != NULL && type < EVENT_TYPES)
		atomic_fetch_add(&m->shm->events[type], 1);
}

void
metrics_redis_error(struct metrics *m)
{
	if (m->shm != NULL)
		atomic_fetch_add(&m->shm->redis_errors, 1);
}

void
metrics_unreplicated(struct metrics *m)
{
	if (m->shm != NULL)
		atomic_fetch_add(&m->shm->unreplicated, 1);
}

static void
route_label(const struct route *routes, size_t nroutes, size_t i, char *buf,
    size_t len)
{
	if (i < nroutes)
		snprintf(buf, len, "%s %s", routes[i].method, routes[i].pattern);
	else
		snprintf(buf, len, "unmatched");
}

static void
render_requests(struct metrics *m, const struct route *routes, size_t nroutes,
    FILE *out)
{
	char route[96];
	uint64_t n;
	size_t r, s;

	fprintf(out, "# HELP http_requests_total Requests answered, by route "
	    "and status.\n# TYPE http_requests_total counter\n");
	for (r = 0; r < METRICS_ROUTES; r++) {
		if (r >= nroutes && r != METRICS_ROUTES - 1)
			continue;
		route_label(routes, nroutes, r, route, sizeof(route));
		for (s = 0; s < METRICS_STATUSES; s++) {
			if ((n = atomic_load(&m->shm->requests[r][s])) == 0)
				continue;
			if (s < METRICS_STATUSES - 1)
				fprintf(out, "http_requests_total{service=\"%s\","
				    "route=\"%s\",status=\"%d\"} %llu\n",
				    m->service, route, statuses[s],
				    (unsigned long long)n);
			else
				fprintf(out, "http_requests_total{service=\"%s\","
				    "route=\"%s\",status=\"other\"} %llu\n",
				    m->service, route, (unsigned long long)n);
		}
	}
}

static void
render_histogram(struct metrics *m, size_t r, const char *route, FILE *out)
{
	uint64_t cum;
	size_t b;

	for (cum = 0, b = 0; b <= METRICS_BUCKETS; b++) {
		cum += atomic_load(&m->shm->latency[r][b]);
		if (b < METRICS_BUCKETS)
			fprintf(out, "http_request_duration_seconds_bucket"
			    "{service=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
			    m->service, route, (double)bounds_us[b] / 1e6,
			    (unsigned long long)cum);
	}
	fprintf(out, "http_request_duration_seconds_bucket{service="
	    "\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n", m->service, route,
	    (unsigned long long)cum);
	fprintf(out, "http_request_duration_seconds_sum{service=\"%s\","
	    "route=\"%s\"} %.6f\n", m->service, route,
	    (double)atomic_load(&m->shm->latency_us_sum[r]) / 1e6);
	fprintf(out, "http_request_duration_seconds_count{service=\"%s\","
	    "route=\"%s\"} %llu\n", m->service, route,
	    (unsigned long long)cum);
}

void
metrics_render(struct metrics *m, const struct route *routes, size_t nroutes,
    FILE *out)
{
	char route[96];
	size_t r;
	int t;

	if (m->shm == NULL)
		return;
	render_requests(m, routes, nroutes, out);
	fprintf(out, "# HELP http_request_duration_seconds Time to answer, "
	    "by route.\n# TYPE http_request_duration_seconds histogram\n");
	for (r = 0; r < METRICS_ROUTES; r++) {
		if (r >= nroutes && r != METRICS_ROUTES - 1)
			continue;
		route_label(routes, nroutes, r, route, sizeof(route));
		render_histogram(m, r, route, out);
	}
	fprintf(out, "# HELP events_appended_total Events this service "
	    "appended to the stream, by type.\n"
	    "# TYPE events_appended_total counter\n");
	for (t = 0; t < EVENT_TYPES; t++)
		fprintf(out, "events_appended_total{service=\"%s\",type=\"%s\"}"
		    " %llu\n", m->service, event_type_name(t),
		    (unsigned long long)atomic_load(&m->shm->events[t]));
	fprintf(out, "# HELP redis_errors_total Redis calls that failed "
	    "(unreachable, timeout, broken connection).\n"
	    "# TYPE redis_errors_total counter\n"
	    "redis_errors_total{service=\"%s\"} %llu\n", m->service,
	    (unsigned long long)atomic_load(&m->shm->redis_errors));
	fprintf(out, "# HELP commands_unreplicated_total Commands answered "
	    "503 because WAIT found their event on too few replicas.\n"
	    "# TYPE commands_unreplicated_total counter\n"
	    "commands_unreplicated_total{service=\"%s\"} %llu\n", m->service,
	    (unsigned long long)atomic_load(&m->shm->unreplicated));
}

void
metrics_respond(struct http_request *req, struct metrics *m,
    const struct route *routes, size_t nroutes,
    void (*extra)(void *ctx, FILE *out), void *ctx)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if ((out = open_memstream(&text, &len)) == NULL) {
		http_respond_error(req, 500, "out of memory");
		return;
	}
	metrics_render(m, routes, nroutes, out);
	if (extra != NULL)
		extra(ctx, out);
	if (fclose(out) != 0 || text == NULL)
		http_respond_error(req, 500, "out of memory");
	else
		http_respond_text(req, 200,
		    "text/plain; version=0.0.4; charset=utf-8", text);
	free(text);
}
