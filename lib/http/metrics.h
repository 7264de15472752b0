/*
 * Request metrics shared by every process of one service: counters in a
 * small file that each process maps (MAP_SHARED) and bumps with atomic
 * adds, so that whichever process answers GET /metrics sees them all,
 * and a FastCGI restart loses nothing.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "contract.h"
#include "route.h"

#define METRICS_ROUTES		16	/* routes per service, plus "unmatched" */
#define METRICS_STATUSES	20
#define METRICS_BUCKETS		12

struct metrics_shm {
	uint64_t		version;
	_Atomic uint64_t	requests[METRICS_ROUTES][METRICS_STATUSES];
	_Atomic uint64_t	latency[METRICS_ROUTES][METRICS_BUCKETS + 1];
	_Atomic uint64_t	latency_us_sum[METRICS_ROUTES];
	_Atomic uint64_t	events[EVENT_TYPES];
	_Atomic uint64_t	redis_errors;
	_Atomic uint64_t	unreplicated;	/* commands WAIT found short */
};

struct metrics {
	struct metrics_shm	*shm;	/* NULL: metrics off (file unusable) */
	const char		*service;
};

/* Maps $VAR_DIR/metrics-<service>.bin; on failure logs and runs without. */
void	metrics_open(struct metrics *m, const char *var_dir,
	    const char *service);
void	metrics_request(struct metrics *m, size_t route, int status,
	    uint64_t micros);
void	metrics_event(struct metrics *m, enum event_type type);
void	metrics_redis_error(struct metrics *m);
void	metrics_unreplicated(struct metrics *m);

/*
 * GET /metrics: the counters, then whatever extra writes (may be NULL),
 * as text/plain in the Prometheus format.
 */
struct http_request;
void	metrics_respond(struct http_request *req, struct metrics *m,
	    const struct route *routes, size_t nroutes,
	    void (*extra)(void *ctx, FILE *out), void *ctx);

/* Writes the Prometheus text for these counters. */
void	metrics_render(struct metrics *m, const struct route *routes,
	    size_t nroutes, FILE *out);

#endif
