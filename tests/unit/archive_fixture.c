#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_fixture.h"
#include "segment_write.h"

int
fixture_dir(char dir[64])
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, 64, "%.40s/archive.XXXXXX", tmp != NULL && *tmp != '\0' ?
	    tmp : "/tmp");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

void
fixture_rmdir(const char *dir)
{
	char path[512];
	struct dirent *d;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

/* Every seventh has no type, every eleventh no payload, the fifth a NUL. */
void
fixture_entry(uint64_t i, struct stream_entry *e, char buf[256])
{
	memset(e, 0, sizeof(*e));
	e->id.ms = 1000 + i;
	e->id.seq = i % 3;
	if (i % 7 != 6) {
		e->type = i % 2 ? "InvoiceCreated" : "CustomerCreated";
		e->type_len = strlen(e->type);
	}
	if (i % 11 == 10)
		return;
	e->payload_len = (size_t)snprintf(buf, 256, "{\"id\":\"%" PRIu64
	    "\",\"customer_id\":\"7\",\"purchase_price_cents\":%" PRIu64 "}",
	    i + 1, i * 100);
	if (i == 5)
		buf[3] = '\0';
	e->payload = buf;
}

static int
same(const char *a, size_t alen, const char *b, size_t blen)
{
	if (a == NULL || b == NULL)
		return a == b;
	return alen == blen && memcmp(a, b, alen) == 0;
}

int
fixture_entry_is(uint64_t i, const struct stream_entry *e)
{
	struct stream_entry want;
	char buf[256], id[STREAM_ID_MAX];

	fixture_entry(i, &want, buf);
	stream_id_format(&want.id, id);
	return stream_id_cmp(&e->id, &want.id) == 0 &&
	    (e->id_text == NULL || strcmp(e->id_text, id) == 0) &&
	    same(e->type, e->type_len, want.type, want.type_len) &&
	    same(e->payload, e->payload_len, want.payload, want.payload_len);
}

int
fixture_segment(const char *dir, const char *stream, int level,
    uint64_t from, uint64_t to, char name[ARCHIVE_NAME_MAX])
{
	struct segment_writer *w;
	struct stream_entry e;
	char err[ARCHIVE_ERROR_MAX], buf[256];
	uint64_t i;
	int rc = 0;

	if (segment_writer_open(&w, dir, stream, level, err,
	    sizeof(err)) == -1) {
		printf("# %s\n", err);
		return -1;
	}
	for (i = from; rc == 0 && i < to; i++) {
		fixture_entry(i, &e, buf);
		rc = segment_writer_add(w, &e);
	}
	if (rc != 0 || segment_writer_commit(w, name) == -1) {
		printf("# %s\n", segment_writer_error(w));
		rc = -1;
	}
	segment_writer_close(w);
	return rc;
}

int
fixture_slurp(const char *dir, const char *name, unsigned char **buf,
    size_t *len)
{
	char path[512];
	long n;
	FILE *f;

	*buf = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (*buf = malloc((size_t)n)) != NULL &&
	    fread(*buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
		fclose(f);
		return 0;
	}
	fclose(f);
	free(*buf);
	*buf = NULL;
	return -1;
}

int
fixture_spill(const char *dir, const char *name, const unsigned char *buf,
    size_t len)
{
	char path[512];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	rc = fwrite(buf, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}
