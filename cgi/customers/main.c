/*
 * customers.fcgi: the customers service (:8080).  Stateless: every
 * command is validated here against the contract and then checked,
 * numbered and appended to the stream in one Redis Function call; the
 * reads come from the same command-side state, through the same
 * ownership checks.
 */
#include <stdlib.h>

#include "commands.h"
#include "service.h"

static void
status_get(const struct route_call *call)
{
	redisReply *r;
	json_object *body;
	int ok;

	r = redis_conn_command(&call->svc->redis, "PING");
	ok = r != NULL && r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	if ((body = json_object_new_object()) == NULL) {
		http_respond_error(call->req, 500, "out of memory");
		return;
	}
	json_object_object_add(body, "status",
	    json_object_new_string(ok ? "ok" : "unavailable"));
	if (!ok)
		json_object_object_add(body, "error",
		    json_object_new_string("redis unavailable"));
	http_respond_json(call->req, ok ? 200 : 503, body);
	json_object_put(body);
}

static const struct route routes[] = {
	{ "GET",    "/status",		0, .handler = status_get },
	{ "GET",    "/metrics",		0, .handler = service_metrics_get },
	{ "POST",   "/customers",	1, .command = { commands_create,
	    &contract_events[EVENT_CUSTOMER_CREATED] } },
	{ "GET",    "/customers/*",	1, .read = { commands_read,
	    &contract_reads[READ_CUSTOMER] } },
	{ "DELETE", "/customers/*",	1, .command = { commands_delete,
	    &contract_events[EVENT_CUSTOMER_DELETED] } },
	{ "GET",    "/customers/*/invoices", 1, .read = { commands_read,
	    &contract_reads[READ_CUSTOMER_INVOICES] } },
	{ "POST",   "/invoices",	1, .command = { commands_create,
	    &contract_events[EVENT_INVOICE_CREATED] } },
	{ "GET",    "/invoices/*",	1, .read = { commands_read,
	    &contract_reads[READ_INVOICE] } },
	{ "DELETE", "/invoices/*",	1, .command = { commands_delete,
	    &contract_events[EVENT_INVOICE_DELETED] } },
};

int
main(int argc, char *argv[])
{
	/* No user check here: every Redis Function checks the caller itself. */
	static struct service svc = {
		.name = "customers",
		.routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
	};

	return service_main(&svc, argc, argv, NULL);
}
