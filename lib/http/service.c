#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fcgi_loop.h"
#include "log.h"
#include "privdrop.h"
#include "service.h"

static void
count_redis_failure(void *arg)
{
	metrics_redis_error(arg);
}

static int
start(struct service *svc, int argc, char *argv[])
{
	static char prog[64], usage[256];
	char pool[64];
	int status;

	snprintf(prog, sizeof(prog), "%s.fcgi", svc->name);
	snprintf(usage, sizeof(usage), "usage: %s [--help | --version]\n"
	    "The %s service, a FastCGI responder on the socket at fd 0\n"
	    "(started by lighttpd's bin-path or by spawn-fcgi).\n", prog,
	    svc->name);
	log_init(prog);
	/*
	 * Each 4xx is a line, so clients choose how many: a flood of them
	 * filled 23 MB of run log in one test.  Bounded, a process writes
	 * at most 100 lines at once and 600 a minute, about 100 KB (lines
	 * of 150-200 bytes); tests/abuse.bats measures it under a flood.
	 */
	log_bound(10, 100);
	if ((status = cli_handle(argc, argv, prog, usage, NULL)) != -1)
		return status;
	/* Under lighttpd already unprivileged; spawn-fcgi as root without -u is not. */
	if (privdrop() == -1)
		return EXIT_FAILURE;
	if (config_load(&svc->cfg) == -1 || (svc->key.len = config_load_secret(
	    &svc->cfg, svc->key.bytes, sizeof(svc->key.bytes))) == -1) {
		log_error("configuration error");
		return EXIT_FAILURE;
	}
	svc->key.ttl = svc->cfg.token_ttl;
	/* Each service is its own Redis role, of the same name. */
	if (redis_conn_open(&svc->redis, &svc->cfg, svc->name,
	    svc->cfg.redis_timeout_ms) == -1)
		return EXIT_FAILURE;
	metrics_open(&svc->metrics, svc->cfg.var_dir, svc->name);
	/* Each pool of processes shares its own limits: a user's rate is a
	 * share of the pool's processes (limiter.h). */
	if (svc->cfg.fcgi_pool != NULL)
		snprintf(pool, sizeof(pool), "%s-%s", svc->name,
		    svc->cfg.fcgi_pool);
	else
		snprintf(pool, sizeof(pool), "%s", svc->name);
	limiter_open(&svc->limiter, svc->cfg.var_dir, pool,
	    svc->cfg.rate_per_user, svc->cfg.rate_burst, svc->cfg.read_waiters,
	    svc->cfg.read_waiters_per_user);
	svc->redis.on_failure = count_redis_failure;
	svc->redis.on_failure_arg = &svc->metrics;
	return -1;
}

int
service_main(struct service *svc, int argc, char *argv[],
    int (*init)(struct service *svc))
{
	int status;

	if ((status = start(svc, argc, argv)) != -1)
		return status;
	if (init != NULL && init(svc) == -1)
		return EXIT_FAILURE;
	return fcgi_loop_run(svc);
}

static void
extra(void *ctx, FILE *out)
{
	struct service *svc = ctx;

	svc->metrics_extra(svc, out);
}

void
service_metrics_get(const struct route_call *call)
{
	struct service *svc = call->svc;

	metrics_respond(call->req, &svc->metrics, svc->routes, svc->nroutes,
	    svc->metrics_extra != NULL ? extra : NULL, svc);
}
