#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "log.h"
#include "privdrop.h"
#include "service.h"

int
service_start(int argc, char *argv[], const char *name, struct config *cfg,
    struct token_key *key, struct redis_conn *redis, struct metrics *metrics)
{
	static char prog[64], usage[256];
	int status;

	snprintf(prog, sizeof(prog), "%s.fcgi", name);
	snprintf(usage, sizeof(usage), "usage: %s [--help | --version]\n"
	    "The %s service, a FastCGI responder on the socket at fd 0\n"
	    "(started by lighttpd's bin-path or by spawn-fcgi).\n", prog, name);
	log_init(prog);
	if ((status = cli_handle(argc, argv, prog, usage, NULL)) != -1)
		return status;
	/* Under lighttpd already unprivileged; spawn-fcgi as root without -u is not. */
	if (privdrop() == -1)
		return EXIT_FAILURE;
	if (config_load(cfg) == -1 || (key->len = config_load_secret(cfg,
	    key->bytes, sizeof(key->bytes))) == -1) {
		log_error("configuration error");
		return EXIT_FAILURE;
	}
	redis_conn_init(redis, cfg->redis_host, cfg->redis_port,
	    cfg->redis_timeout_ms);
	metrics_open(metrics, cfg->var_dir, name);
	redis->metrics = metrics;
	return -1;
}
