#ifndef CUSTOMERS_H
#define CUSTOMERS_H

#include "config.h"
#include "http.h"
#include "metrics.h"
#include "redis_conn.h"
#include "route.h"

struct customers_app {
	struct config		cfg;
	struct redis_conn	redis;
	struct metrics		metrics;
	const struct route	*routes;
	size_t			 nroutes;
};

/* customer.c */
void	customer_create(void *app, struct http_request *req, const char *user,
	    char **args);
void	customer_get(void *app, struct http_request *req, const char *user,
	    char **args);
void	customer_delete(void *app, struct http_request *req,
	    const char *user, char **args);

/* invoice.c */
void	invoice_create(void *app, struct http_request *req, const char *user,
	    char **args);
void	invoice_get(void *app, struct http_request *req, const char *user,
	    char **args);
void	invoice_delete(void *app, struct http_request *req, const char *user,
	    char **args);
void	invoice_list(void *app, struct http_request *req, const char *user,
	    char **args);

#endif
