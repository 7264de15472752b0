/*
 * The projector's view of a stream entry: the first byte picks the event
 * type, the rest is the payload.  The entry's id goes through the stream
 * id parser too.
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz.h"
#include "stream_id.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "AccountCreated",
	    "CustomerCreated", "InvoiceCreated", "AccountDeleted",
	    "CustomerDeleted", "InvoiceDeleted", "Unknown" };
	struct event ev;
	struct stream_id sid;
	char reason[200], *text;

	if (size == 0)
		return 0;
	event_decode(event_type_of(types[data[0] % 7], strlen(types[data[0] % 7])),
	    (const char *)data + 1, size - 1, &ev, reason, sizeof(reason));
	event_free(&ev);
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	stream_id_parse(text, &sid);
	free(text);
	return 0;
}
