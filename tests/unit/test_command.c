/*
 * What a Redis Function's answer means (command_result_of) and the HTTP
 * status each meaning gets (commands_status), on replies built by hand:
 * until now only a whole running stack showed a refusal becoming a 4xx.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "commands.h"

#define NAME_LEN	160

static redisReply
reply(int type, const char *str)
{
	redisReply r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	/* hiredis's str is not const; command_result_of only reads it. */
	r.str = (char *)str;
	r.len = str != NULL ? strlen(str) : 0;
	return r;
}

/* An error reply's result. */
static void
of_error(const char *str, struct command_result *res)
{
	redisReply r = reply(REDIS_REPLY_ERROR, str);

	command_result_of(&r, 1, res);
}

/* The result of an appending function's array of n elements. */
static void
of_array(redisReply **elements, size_t n, struct command_result *res)
{
	redisReply r = reply(REDIS_REPLY_ARRAY, NULL);

	r.elements = n;
	r.element = elements;
	command_result_of(&r, 1, res);
}

static const struct {
	const char	*error;
	enum refusal	 refusal;
	int		 status;
} refusals[] = {
	{ "INVALID x", REFUSAL_INVALID, 400 },
	{ "UNAUTHORIZED x", REFUSAL_UNAUTHORIZED, 401 },
	{ "FORBIDDEN x", REFUSAL_FORBIDDEN, 403 },
	{ "NOTFOUND x", REFUSAL_NOT_FOUND, 404 },
	{ "CONFLICT x", REFUSAL_CONFLICT, 409 },
	{ "LIMIT x", REFUSAL_LIMIT, 422 },
	{ "REUSED x", REFUSAL_REUSED, 422 },
};

static void
test_refusals(void)
{
	struct command_result res;
	char name[NAME_LEN];
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		of_error(refusals[i].error, &res);
		snprintf(name, sizeof(name), "\"%s\" is refused as %s, "
		    "message \"x\"", refusals[i].error,
		    contract_refusals[refusals[i].refusal]);
		CHECK(name, res.outcome == COMMAND_REFUSED &&
		    res.refusal == refusals[i].refusal &&
		    strcmp(res.message, "x") == 0 && !res.unreachable);
		snprintf(name, sizeof(name), "\"%s\" answers %d",
		    refusals[i].error, refusals[i].status);
		CHECK(name, commands_status(&res) == refusals[i].status);
	}
	of_error("NOTFOUND customer 7 does not exist", &res);
	CHECK("a refusal's message is all the words after the first",
	    res.outcome == COMMAND_REFUSED &&
	    strcmp(res.message, "customer 7 does not exist") == 0);
}

static void
test_errors(void)
{
	static const char *const passing[] = {
		"LOADING Redis is loading the dataset in memory",
		"READONLY You can't write against a read only replica.",
		"MASTERDOWN Link with MASTER is down",
		"BUSY Redis is busy running a script.",
		"TRYAGAIN Multiple keys request during rehashing of slot",
		"OOM command not allowed when used memory > 'maxmemory'.",
	};
	struct command_result res;
	char name[NAME_LEN];
	size_t i;

	command_result_of(NULL, 1, &res);
	CHECK("no reply is unavailable and unreachable",
	    res.outcome == COMMAND_UNAVAILABLE && res.unreachable == 1);
	CHECK("no reply answers 503", commands_status(&res) == 503);
	for (i = 0; i < sizeof(passing) / sizeof(passing[0]); i++) {
		of_error(passing[i], &res);
		snprintf(name, sizeof(name), "\"%.*s ...\" is unavailable "
		    "but reachable, answering 503",
		    (int)strcspn(passing[i], " "), passing[i]);
		CHECK(name, res.outcome == COMMAND_UNAVAILABLE &&
		    !res.unreachable && commands_status(&res) == 503);
	}
	of_error("ERR whatever", &res);
	CHECK("\"ERR whatever\" is a failure, its text the message",
	    res.outcome == COMMAND_FAILED &&
	    strcmp(res.message, "ERR whatever") == 0);
	CHECK("a failure answers 500", commands_status(&res) == 500);
	of_error("NOTFOUNDX y", &res);
	CHECK("\"NOTFOUNDX y\" is a failure, not a refusal",
	    res.outcome == COMMAND_FAILED);
	of_error("notfound y", &res);
	CHECK("a refusal word in lower case is a failure",
	    res.outcome == COMMAND_FAILED);
	of_error("LOADINGX y", &res);
	CHECK("\"LOADINGX y\" is a failure, not unavailable",
	    res.outcome == COMMAND_FAILED);
	of_error("ERR Function not found", &res);
	CHECK("a library not loaded (only setup may) answers 503, saying so",
	    res.outcome == COMMAND_UNAVAILABLE && !res.unreachable &&
	    strstr(res.message, "run setup") != NULL);
	of_error("NOPERM this user has no permissions to run the 'xadd' command",
	    &res);
	CHECK("a role's refusal by Redis (NOPERM) is a failure: 500, logged",
	    res.outcome == COMMAND_FAILED && commands_status(&res) == 500);
}

static void
test_appended(void)
{
	redisReply type = reply(REDIS_REPLY_STRING, "InvoiceCreated");
	redisReply event_id = reply(REDIS_REPLY_STRING, "1-0");
	redisReply id = reply(REDIS_REPLY_STRING, "7");
	redisReply *three[] = { &type, &event_id, &id };
	struct command_result res;

	of_array(three, 3, &res);
	CHECK("{InvoiceCreated, 1-0, 7} is done: the type, event id and id",
	    res.outcome == COMMAND_DONE &&
	    res.appended == EVENT_INVOICE_CREATED &&
	    strcmp(res.event_id, "1-0") == 0 && strcmp(res.id, "7") == 0);
	/* A type name is matched by its reply length, not by a NUL. */
	type.len = 7;
	of_array(three, 3, &res);
	CHECK("a type name cut short by its length is outside the contract",
	    res.outcome == COMMAND_FAILED);
}

static void
test_shapes(void)
{
	redisReply type = reply(REDIS_REPLY_STRING, "InvoiceCreated");
	redisReply other = reply(REDIS_REPLY_STRING, "InvoiceUpdated");
	redisReply event_id = reply(REDIS_REPLY_STRING, "1-0");
	redisReply id = reply(REDIS_REPLY_STRING, "7");
	redisReply number = reply(REDIS_REPLY_INTEGER, NULL);
	redisReply status = reply(REDIS_REPLY_STATUS, "OK");
	redisReply nil = reply(REDIS_REPLY_NIL, NULL);
	redisReply forbidden = reply(REDIS_REPLY_ERROR, "FORBIDDEN y");
	redisReply *two[] = { &type, &event_id };
	redisReply *with_int[] = { &type, &event_id, &number };
	redisReply *unknown[] = { &other, &event_id, &id };
	redisReply *four[] = { &type, &event_id, &id, &id };
	struct command_result res;

	number.integer = 7;
	of_array(two, 2, &res);
	CHECK("an appending answer of 2 elements is a failure",
	    res.outcome == COMMAND_FAILED && commands_status(&res) == 500);
	of_array(four, 4, &res);
	CHECK("an appending answer of 4 elements is a failure",
	    res.outcome == COMMAND_FAILED);
	of_array(with_int, 3, &res);
	CHECK("an appending answer with an integer id is a failure",
	    res.outcome == COMMAND_FAILED);
	of_array(unknown, 3, &res);
	CHECK("an appending answer of an unknown type is a failure",
	    res.outcome == COMMAND_FAILED && res.message != NULL);
	command_result_of(&status, 1, &res);
	CHECK("a status reply to an appending call is a failure",
	    res.outcome == COMMAND_FAILED);
	command_result_of(&nil, 1, &res);
	CHECK("a nil reply to an appending call is a failure",
	    res.outcome == COMMAND_FAILED);
	/* A read's answer is shaped by its caller (commands_read). */
	command_result_of(&nil, 0, &res);
	CHECK("any reply but an error to a read is done, appending nothing",
	    res.outcome == COMMAND_DONE && res.appended == EVENT_UNKNOWN);
	command_result_of(&forbidden, 0, &res);
	CHECK("a read's refusal is a refusal too",
	    res.outcome == COMMAND_REFUSED &&
	    res.refusal == REFUSAL_FORBIDDEN && commands_status(&res) == 403);
}

void
test_command(void)
{
	test_refusals();
	test_errors();
	test_appended();
	test_shapes();
}
