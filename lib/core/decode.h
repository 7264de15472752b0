/*
 * Decoding untrusted JSON: one object per text, no duplicate keys, no
 * integers json-c would silently reshape; and the predicates every
 * field goes through.  Typed fields of the event contract are decoded
 * by event.h on top of this.
 */
#ifndef DECODE_H
#define DECODE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define DECODE_DEPTH_MAX 8	/* nesting a body may have */

struct decode_error {
	int	no_memory;	/* 1: not the input's fault */
	char	msg[160];	/* "<key>: <what is wrong>" */
};

/*
 * A JSON text that must be one object, or NULL with err set ("not valid
 * JSON", ...).  The caller frees it with json_object_put().
 */
json_object	*decode_body(const char *what, const char *body, size_t len,
		    struct decode_error *err);

/*
 * Look a member up; fold_case matches keys case-insensitively (the Go
 * original did), and finds none when two keys match.
 */
json_object	*decode_member(json_object *obj, const char *key, int fold_case);

/* A text field (text_valid); 0, or -1 with err set. */
int	 decode_text(json_object *obj, const char *key, int fold_case,
	    const char **out, struct decode_error *err);

/* Sets err to "<key>: <what>" (key may be NULL) and returns -1. */
int	 decode_fail(struct decode_error *err, const char *key,
	    const char *what);

/* The predicates, usable on their own (path segments, events). */
int	 text_valid(const char *s, size_t len);
int	 user_name_valid(const char *s);
int	 id_parse(const char *s, uint64_t *out);
int	 date_valid(const char *s);
int	 time_valid(const char *s);

#endif
