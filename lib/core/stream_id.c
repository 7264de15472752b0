#include <inttypes.h>
#include <stdio.h>

#include "stream_id.h"

/* Strict: digits only, no sign, no blanks, no overflow. */
static const char *
parse_u64(const char *s, uint64_t *out)
{
	uint64_t n = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return NULL;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return NULL;
	*out = n;
	return p;
}

int
stream_id_parse(const char *s, struct stream_id *id)
{
	struct stream_id v;
	const char *p;

	if (s == NULL || (p = parse_u64(s, &v.ms)) == NULL || *p != '-' ||
	    (p = parse_u64(p + 1, &v.seq)) == NULL || *p != '\0')
		return -1;
	*id = v;
	return 0;
}

int
stream_id_cmp(const struct stream_id *a, const struct stream_id *b)
{
	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

void
stream_id_format(const struct stream_id *id, char buf[STREAM_ID_MAX])
{
	snprintf(buf, STREAM_ID_MAX, "%" PRIu64 "-%" PRIu64, id->ms, id->seq);
}
