/*
 * The archive's segment reader (lib/archive) on any bytes: the input is
 * written as a segment file, then verified and read record by record, as
 * a worker would read a segment a disk or a copy damaged.  Its name does
 * not parse as a segment's, so that any footer's ids pass and the reader
 * goes as deep as the bytes allow; the name parser gets the input too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "segment_read.h"

#define NAME	"fuzz-input.seg"

/* A folder of this process's own, made once. */
static const char *
folder(void)
{
	static char dir[64];
	const char *tmp;

	if (dir[0] != '\0')
		return dir;
	tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%.40s/fuzz-segment.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	return dir;
}

static void
cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", folder(), NAME);
	unlink(path);
	rmdir(folder());
}

/* Every byte handed out is touched, so that ASan sees a bad pointer. */
static volatile unsigned char sink;

static void
read_all(const char *dir)
{
	struct segment_reader *r;
	struct segment_record rec;
	char err[ARCHIVE_ERROR_MAX];

	if (segment_open(&r, dir, NAME, "event-stream", NULL, err,
	    sizeof(err)) == -1)
		return;
	while (segment_next(r, &rec) == 1) {
		if (rec.type != NULL && rec.type_len > 0)
			sink ^= (unsigned char)rec.type[rec.type_len - 1];
		if (rec.payload != NULL && rec.payload_len > 0)
			sink ^= (unsigned char)rec.payload[rec.payload_len - 1];
	}
	segment_close(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	struct stream_id first, last;
	char path[128], name[ARCHIVE_NAME_MAX];
	FILE *f;

	if (!registered++)
		atexit(cleanup);
	snprintf(path, sizeof(path), "%s/%s", folder(), NAME);
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	read_all(folder());
	memset(name, 0, sizeof(name));
	memcpy(name, data, size < ARCHIVE_NAME_LEN ? size : ARCHIVE_NAME_LEN);
	archive_name_parse(name, &first, &last);
	return 0;
}
