#include <string.h>

#include "check.h"
#include "stream_id.h"

void
test_stream_id(void)
{
	struct stream_id a, b;
	char buf[STREAM_ID_MAX];

	CHECK(stream_id_parse("1553318690326-0", &a) == 0 &&
	    a.ms == 1553318690326ULL && a.seq == 0);
	CHECK(stream_id_parse("18446744073709551615-18446744073709551615",
	    &a) == 0);
	stream_id_format(&a, buf);
	CHECK(strcmp(buf, "18446744073709551615-18446744073709551615") == 0);
	CHECK(stream_id_parse("18446744073709551616-0", &a) == -1);
	CHECK(stream_id_parse("1-", &a) == -1);
	CHECK(stream_id_parse("-1", &a) == -1);
	CHECK(stream_id_parse("1", &a) == -1);
	CHECK(stream_id_parse("1-2-3", &a) == -1);
	CHECK(stream_id_parse("", &a) == -1);
	CHECK(stream_id_parse(NULL, &a) == -1);

	/* Numeric order, where string order would be wrong. */
	CHECK(stream_id_parse("9-0", &a) == 0 &&
	    stream_id_parse("10-0", &b) == 0);
	CHECK(stream_id_cmp(&a, &b) < 0 && stream_id_cmp(&b, &a) > 0);
	CHECK(stream_id_parse("5-9", &a) == 0 &&
	    stream_id_parse("5-10", &b) == 0);
	CHECK(stream_id_cmp(&a, &b) < 0);
	CHECK(stream_id_cmp(&a, &a) == 0);
}
