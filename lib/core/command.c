#include <string.h>

#include "command.h"
#include "log.h"
#include "events_lua.h"		/* generated: the contract's Lua, then db/events.lua */

/* Error replies of a Redis in a state that passes: answer "try again". */
static const char *const passing_states[] = {
	"LOADING ", "BUSY ", "OOM ", "MASTERDOWN ", "READONLY ", "TRYAGAIN ",
	"NOREPLICAS ",
};

int
command_arg(struct command_args *a, const char *name, const char *value)
{
	if (a->n == COMMAND_ARGS_MAX)
		return -1;
	a->name[a->n] = name;
	a->value[a->n] = value;
	a->n++;
	return 0;
}

int
command_load_library(struct redis_conn *rc)
{
	redisReply *r;
	int ok;

	r = redis_conn_command(rc, "FUNCTION LOAD REPLACE %s", events_lua);
	if (r == NULL)
		return -1;
	ok = r->type != REDIS_REPLY_ERROR;
	if (!ok)
		log_warn("redis: FUNCTION LOAD: %s", r->str);
	freeReplyObject(r);
	return ok ? 0 : -1;
}

redisReply *
command_call(struct redis_conn *rc, const char *stream, const char *function,
    const char *caller, const struct command_args *args)
{
	const char *av[6 + 2 * COMMAND_ARGS_MAX];
	int ac = 0;
	size_t i;

	av[ac++] = "FCALL";
	av[ac++] = function;
	av[ac++] = "1";
	av[ac++] = stream;
	if (caller != NULL) {
		av[ac++] = "caller";
		av[ac++] = caller;
	}
	for (i = 0; i < args->n; i++) {
		av[ac++] = args->name[i];
		av[ac++] = args->value[i];
	}
	return redis_conn_argv(rc, ac, av, NULL);
}

static int
starts_with_word(const char *s, const char *word)
{
	size_t len = strlen(word);

	return strncmp(s, word, len) == 0 && s[len] == ' ';
}

static void
error_result(const char *str, struct command_result *res)
{
	size_t i;
	int r;

	for (r = 0; r < REFUSALS; r++)
		if (starts_with_word(str, contract_refusals[r])) {
			res->outcome = COMMAND_REFUSED;
			res->refusal = (enum refusal)r;
			res->message = str + strlen(contract_refusals[r]) + 1;
			return;
		}
	res->message = str;
	res->outcome = COMMAND_FAILED;
	/* Only admin may load it (setup); until then, "try again". */
	if (strstr(str, "Function not found") != NULL) {
		res->outcome = COMMAND_UNAVAILABLE;
		res->message = "the Redis Function library is not loaded; "
		    "run setup";
		return;
	}
	for (i = 0; i < sizeof(passing_states) / sizeof(passing_states[0]); i++)
		if (strncmp(str, passing_states[i], strlen(passing_states[i])) == 0)
			res->outcome = COMMAND_UNAVAILABLE;
	/* maxmemory with noeviction: Redis refuses a call that may write
	 * before it runs, FCALL_RO and allow-oom Functions excepted. */
	res->full = strncmp(str, "OOM ", 4) == 0;
}

static int
string_at(const redisReply *r, size_t i)
{
	return r->element[i]->type == REDIS_REPLY_STRING;
}

/* {type, event id, id}, and "replayed" after them for a kept answer. */
static void
appended_result(const redisReply *r, struct command_result *res)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    r->elements > 4 || (r->elements == 4 && (!string_at(r, 3) ||
	    strcmp(r->element[3]->str, "replayed") != 0)) ||
	    !string_at(r, 0) || !string_at(r, 1) || !string_at(r, 2) ||
	    (res->appended = event_type_of(r->element[0]->str,
	    r->element[0]->len)) == EVENT_UNKNOWN) {
		res->outcome = COMMAND_FAILED;
		res->message = "the function answered outside the contract";
		return;
	}
	res->event_id = r->element[1]->str;
	res->id = r->element[2]->str;
	res->replayed = r->elements == 4;
}

void
command_result_of(const redisReply *reply, int appends,
    struct command_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = COMMAND_DONE;
	res->appended = EVENT_UNKNOWN;
	if (reply == NULL) {
		res->outcome = COMMAND_UNAVAILABLE;
		res->message = "unreachable";
		res->unreachable = 1;
	} else if (reply->type == REDIS_REPLY_ERROR)
		error_result(reply->str, res);
	else if (appends)
		appended_result(reply, res);
}
