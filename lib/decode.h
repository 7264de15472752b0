/*
 * Request decoding: parse a JSON body, then check each field into a typed
 * value.  Handlers only ever see values that passed these checks.
 */
#ifndef DECODE_H
#define DECODE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define DECODE_TEXT_MAX	 200			/* bytes */
#define DECODE_CENTS_MAX 9007199254740991LL	/* 2^53 - 1 */
#define DECODE_ID_MAX	 20			/* digits of an id, plus NUL */
#define DECODE_DEPTH_MAX 8			/* nesting a body may have */

struct decode_error {
	int	status;		/* HTTP status to answer */
	char	msg[160];
};

/*
 * A JSON text that must be one object, or NULL with err set ("not valid
 * JSON", ...).  The caller frees it with json_object_put().
 */
json_object	*decode_body(const char *what, const char *body, size_t len,
		    struct decode_error *err);

/* Look a member up; fold_case matches keys case-insensitively (the Go original did). */
json_object	*decode_member(json_object *obj, const char *key, int fold_case);

int	 decode_text(json_object *obj, const char *key, int fold_case,
	    const char **out, struct decode_error *err);
int	 decode_id(json_object *obj, const char *key, uint64_t *out,
	    struct decode_error *err);
int	 decode_date(json_object *obj, const char *key, const char **out,
	    struct decode_error *err);
int	 decode_cents(json_object *obj, const char *key, int64_t *out,
	    struct decode_error *err);

/* The predicates behind them, usable on their own (path segments, events). */
int	 text_valid(const char *s, size_t len);
int	 id_parse(const char *s, uint64_t *out);
int	 date_valid(const char *s);

#endif
