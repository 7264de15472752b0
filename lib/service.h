#ifndef SERVICE_H
#define SERVICE_H

#include "config.h"
#include "metrics.h"
#include "redis_conn.h"
#include "token.h"

/*
 * Start-up common to the FastCGI programs: --help and --version, the
 * privilege drop, configuration, the signing key, the Redis connection
 * (counting its failures) and the shared metrics file of the service
 * `name` ("customers", the program being name.fcgi).  Returns -1 when the
 * program should go on, else the status to exit with (logged).
 */
int	service_start(int argc, char *argv[], const char *name,
	    struct config *cfg, struct token_key *key, struct redis_conn *redis,
	    struct metrics *metrics);

#endif
