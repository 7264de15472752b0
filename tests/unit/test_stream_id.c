#include <string.h>

#include "check.h"
#include "stream_id.h"

void
test_stream_id(void)
{
	struct stream_id a, b;
	char buf[STREAM_ID_MAX];

	CHECK("1553318690326-0 parses to ms and seq",
	    stream_id_parse("1553318690326-0", &a) == 0 &&
	    a.ms == 1553318690326ULL && a.seq == 0);
	CHECK("UINT64_MAX-UINT64_MAX parses", stream_id_parse(
	    "18446744073709551615-18446744073709551615", &a) == 0);
	stream_id_format(&a, buf);
	CHECK("UINT64_MAX-UINT64_MAX formats back as it was",
	    strcmp(buf, "18446744073709551615-18446744073709551615") == 0);
	CHECK("an ms past UINT64_MAX is refused",
	    stream_id_parse("18446744073709551616-0", &a) == -1);
	CHECK("an id without a seq is refused",
	    stream_id_parse("1-", &a) == -1);
	CHECK("an id without an ms is refused",
	    stream_id_parse("-1", &a) == -1);
	CHECK("an id without a dash is refused",
	    stream_id_parse("1", &a) == -1);
	CHECK("an id of three parts is refused",
	    stream_id_parse("1-2-3", &a) == -1);
	CHECK("an empty id is refused", stream_id_parse("", &a) == -1);
	CHECK("a NULL id is refused", stream_id_parse(NULL, &a) == -1);

	/* Numeric order, where string order would be wrong. */
	CHECK("9-0 and 10-0 parse", stream_id_parse("9-0", &a) == 0 &&
	    stream_id_parse("10-0", &b) == 0);
	CHECK("9-0 comes before 10-0, and 10-0 after 9-0",
	    stream_id_cmp(&a, &b) < 0 && stream_id_cmp(&b, &a) > 0);
	CHECK("5-9 and 5-10 parse", stream_id_parse("5-9", &a) == 0 &&
	    stream_id_parse("5-10", &b) == 0);
	CHECK("5-9 comes before 5-10", stream_id_cmp(&a, &b) < 0);
	CHECK("an id equals itself", stream_id_cmp(&a, &a) == 0);
}
