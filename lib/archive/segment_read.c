/*
 * A segment read front to back (segment_read.h).  The file's bytes pass
 * through one buffer, where BLAKE2b sees them all; the records' bytes are
 * the body between header and footer, or, with ARCHIVE_FLAG_ZSTD, what
 * that body decompresses to, with a window no larger than the writer's
 * (ARCHIVE_ZSTD_WINDOW_LOG), so that a hostile file cannot ask for more
 * memory than an honest one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>
#include <zstd.h>

#include "archive_format.h"
#include "segment_read.h"

#define IN_BUF	65536
#define OUT_BUF	131072	/* ZSTD_DStreamOutSize(): one block */

struct segment_reader {
	int			 fd;
	char			 path[PATH_MAX];
	int			 named;		/* the name gave the ids */
	struct stream_id	 name_first, name_last;
	struct archive_header	 hdr;
	struct archive_footer	 foot;
	crypto_generichash_state hash;
	off_t			 pos, end;	/* end: where the footer starts */
	unsigned char		 in[IN_BUF];
	size_t			 in_len, in_off;
	ZSTD_DStream		*z;		/* NULL: plain records */
	int			 z_done;	/* the frame ended */
	unsigned char		 out[OUT_BUF];
	size_t			 out_len, out_off;
	uint64_t		 count;
	struct stream_id	 prev;		/* the last id read */
	struct stream_id	 first;		/* the first id read */
	int			 done;
	unsigned char		 foot_raw[ARCHIVE_FOOTER];
	char			 error[ARCHIVE_ERROR_MAX];
	unsigned char		 rec[RECORD_MAX];
};

static int fail(struct segment_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct segment_reader *r, const char *fmt, ...)
{
	char what[ARCHIVE_ERROR_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return archive_error(r->error, sizeof(r->error), r->path,
	    r->named ? &r->name_first : NULL, r->named ? &r->name_last : NULL,
	    "%s", what);
}

/* 1: file bytes wait in r->in; 0: none are left before the footer; -1. */
static int
fill_in(struct segment_reader *r)
{
	size_t want;
	ssize_t n;

	if (r->in_off < r->in_len)
		return 1;
	if (r->pos >= r->end)
		return 0;
	want = (size_t)(r->end - r->pos) < IN_BUF ? (size_t)(r->end - r->pos) :
	    IN_BUF;
	if ((n = pread(r->fd, r->in, want, r->pos)) <= 0)
		return fail(r, "cannot read: %s", n == 0 ? "the file shrank" :
		    strerror(errno));
	crypto_generichash_update(&r->hash, r->in, (size_t)n);
	r->pos += n;
	r->in_len = (size_t)n;
	r->in_off = 0;
	return 1;
}

/* Decompresses into r->out: 0 (nothing more once the frame ended), -1. */
static int
z_fill(struct segment_reader *r)
{
	ZSTD_outBuffer ob = { r->out, sizeof(r->out), 0 };
	ZSTD_inBuffer ib;
	size_t ret;
	int more;

	while (!r->z_done) {
		if ((more = fill_in(r)) == -1)
			return -1;
		ib = (ZSTD_inBuffer){ r->in, r->in_len, r->in_off };
		ret = ZSTD_decompressStream(r->z, &ob, &ib);
		r->in_off = ib.pos;
		if (ZSTD_isError(ret))
			return fail(r, "the compressed records are damaged: %s",
			    ZSTD_getErrorName(ret));
		r->z_done = ret == 0;
		if (ob.pos > 0)
			break;
		if (!more && !r->z_done)
			return fail(r, "the compressed records end early");
	}
	r->out_len = ob.pos;
	r->out_off = 0;
	return 0;
}

/* n bytes of the records, or fewer at their end; -1. */
static long
body_read(struct segment_reader *r, unsigned char *dst, size_t n)
{
	const unsigned char *src;
	size_t got = 0, k, avail;
	int more;

	while (got < n) {
		if (r->z == NULL) {
			if ((more = fill_in(r)) <= 0) {
				if (more == -1)
					return -1;
				break;
			}
			src = r->in + r->in_off, avail = r->in_len - r->in_off;
		} else {
			if (r->out_off == r->out_len && !r->z_done &&
			    z_fill(r) == -1)
				return -1;
			if (r->out_off == r->out_len)
				break;
			src = r->out + r->out_off;
			avail = r->out_len - r->out_off;
		}
		k = n - got < avail ? n - got : avail;
		memcpy(dst + got, src, k);
		got += k;
		if (r->z == NULL)
			r->in_off += k;
		else
			r->out_off += k;
	}
	return (long)got;
}

/* The header, at the start of the file, hashed; r->pos after it. */
static int
read_header(struct segment_reader *r)
{
	unsigned char buf[ARCHIVE_HEADER_MAX];
	char what[200];
	size_t want, used = 0;

	want = (size_t)r->end < sizeof(buf) ? (size_t)r->end : sizeof(buf);
	if (pread(r->fd, buf, want, 0) != (ssize_t)want)
		return fail(r, "cannot read the header: %s", strerror(errno));
	switch (archive_header_decode(buf, want, &r->hdr, &used, what,
	    sizeof(what))) {
	case 0:
		break;
	case 1:
		return fail(r, "truncated: the header is cut");
	default:
		return fail(r, "%s", what);
	}
	crypto_generichash_update(&r->hash, buf, used);
	r->pos = (off_t)used;
	return 0;
}

/* The footer at the end of the file, found: r->end before it. */
static int
find_footer(struct segment_reader *r)
{
	struct stat st;

	if (fstat(r->fd, &st) == -1)
		return fail(r, "cannot stat: %s", strerror(errno));
	if (st.st_size < ARCHIVE_HEADER_FIXED + 4 + ARCHIVE_FOOTER)
		return fail(r, "truncated: %lld bytes, fewer than any segment",
		    (long long)st.st_size);
	r->end = st.st_size - ARCHIVE_FOOTER;
	if (pread(r->fd, r->foot_raw, ARCHIVE_FOOTER, r->end) != ARCHIVE_FOOTER)
		return fail(r, "cannot read the footer: %s", strerror(errno));
	if (archive_footer_decode(r->foot_raw, &r->foot) == -1)
		return fail(r, "truncated or unfinished: no footer at its end "
		    "(%lld bytes)", (long long)st.st_size);
	return 0;
}

/* The header names the expected stream and the segment before it. */
static int
check_header(struct segment_reader *r, const char *stream,
    const struct stream_id *prev_last)
{
	char a[STREAM_ID_MAX], b[STREAM_ID_MAX];

	if (strcmp(r->hdr.stream, stream) != 0)
		return fail(r, "a segment of the stream \"%s\", not of \"%s\"",
		    r->hdr.stream, stream);
	if (prev_last != NULL &&
	    stream_id_cmp(&r->hdr.prev_last, prev_last) != 0) {
		stream_id_format(&r->hdr.prev_last, a);
		stream_id_format(prev_last, b);
		if (prev_last->ms == 0 && prev_last->seq == 0)
			return fail(r, "chain broken: it follows a segment that "
			    "ended at %s, and none is before it: a segment is "
			    "missing", a);
		return fail(r, "chain broken: it follows a segment that ended at "
		    "%s, the one before it ends at %s: a segment is missing",
		    a, b);
	}
	if (!(r->hdr.flags & ARCHIVE_FLAG_ZSTD))
		return 0;
	if ((r->z = ZSTD_createDStream()) == NULL ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(r->z, ZSTD_d_windowLogMax,
	    ARCHIVE_ZSTD_WINDOW_LOG)))
		return fail(r, "cannot start zstd");
	return 0;
}

int
segment_open(struct segment_reader **rp, const char *dir, const char *name,
    const char *stream, const struct stream_id *prev_last, char *err,
    size_t errlen)
{
	struct segment_reader *r;

	if ((*rp = r = calloc(1, sizeof(*r))) == NULL)
		return snprintf(err, errlen, "%s/%s: out of memory", dir,
		    name), -1;
	r->fd = -1;
	r->named = archive_name_parse(name, &r->name_first,
	    &r->name_last) == 0;
	if ((size_t)snprintf(r->path, sizeof(r->path), "%s/%s", dir, name) >=
	    sizeof(r->path))
		fail(r, "path too long");
	else if ((r->fd = open(r->path, O_RDONLY | O_CLOEXEC)) == -1)
		fail(r, "cannot open: %s", strerror(errno));
	else if (crypto_generichash_init(&r->hash, NULL, 0,
	    ARCHIVE_HASH_LEN) == 0 && find_footer(r) == 0 &&
	    read_header(r) == 0 && check_header(r, stream, prev_last) == 0) {
		r->prev = r->hdr.prev_last;
		return 0;
	}
	snprintf(err, errlen, "%s", r->error);
	segment_close(r);
	*rp = NULL;
	return -1;
}

/* Past the last record: the footer agrees with what was read. */
static int
finish(struct segment_reader *r)
{
	unsigned char h[ARCHIVE_HASH_LEN];
	char a[STREAM_ID_MAX], b[STREAM_ID_MAX];
	int more;

	if ((more = fill_in(r)) != 0)
		return more == -1 ? -1 : fail(r, "bytes after the compressed "
		    "records");
	crypto_generichash_update(&r->hash, r->foot_raw, ARCHIVE_FOOTER_HASHED);
	crypto_generichash_final(&r->hash, h, sizeof(h));
	if (memcmp(h, r->foot.hash, sizeof(h)) != 0)
		return fail(r, "hash mismatch: the file is not what was "
		    "written");
	stream_id_format(&r->foot.first, a);
	stream_id_format(&r->foot.last, b);
	if (r->count == 0 || r->count != r->foot.count ||
	    stream_id_cmp(&r->first, &r->foot.first) != 0 ||
	    stream_id_cmp(&r->prev, &r->foot.last) != 0)
		return fail(r, "its footer says %" PRIu64 " records from %s to "
		    "%s, it holds %" PRIu64, r->foot.count, a, b, r->count);
	if (r->named && (stream_id_cmp(&r->name_first, &r->foot.first) != 0 ||
	    stream_id_cmp(&r->name_last, &r->foot.last) != 0))
		return fail(r, "its name does not match its footer (%s to %s)",
		    a, b);
	r->done = 1;
	return 0;
}

/* The record whose head is in r->rec: the rest read and checked. */
static int
record_read(struct segment_reader *r, const struct record_head *h,
    struct segment_record *rec)
{
	size_t len = h->type_len + h->payload_len, n = RECORD_HEAD + len;
	char a[STREAM_ID_MAX], b[STREAM_ID_MAX];
	long got;

	if ((got = body_read(r, r->rec + RECORD_HEAD, len + RECORD_CRC)) == -1)
		return -1;
	stream_id_format(&r->prev, a);
	if ((size_t)got < len + RECORD_CRC)
		return fail(r, "truncated: record %" PRIu64 ", after id %s, is "
		    "cut", r->count + 1, a);
	if (le_get32(r->rec + n) != (uint32_t)crc32(0, r->rec, (uInt)n))
		return fail(r, "record %" PRIu64 ", after id %s: checksum "
		    "mismatch", r->count + 1, a);
	if (stream_id_cmp(&h->id, &r->prev) <= 0) {
		stream_id_format(&h->id, b);
		return fail(r, "record %" PRIu64 ": id %s does not follow %s",
		    r->count + 1, b, a);
	}
	if (r->count++ == 0)
		r->first = h->id;
	r->prev = rec->id = h->id;
	rec->type_len = h->type_len;
	rec->type = h->flags & RECORD_HAS_TYPE ?
	    (const char *)r->rec + RECORD_HEAD : NULL;
	rec->payload_len = h->payload_len;
	rec->payload = h->flags & RECORD_HAS_PAYLOAD ?
	    (const char *)r->rec + RECORD_HEAD + h->type_len : NULL;
	return 1;
}

int
segment_next(struct segment_reader *r, struct segment_record *rec)
{
	struct record_head h;
	char what[200], a[STREAM_ID_MAX];
	long n;

	if (r->done)
		return 0;
	if ((n = body_read(r, r->rec, RECORD_HEAD)) == -1)
		return -1;
	if (n == 0)
		return finish(r);
	stream_id_format(&r->prev, a);
	if (n < RECORD_HEAD)
		return fail(r, "truncated: record %" PRIu64 ", after id %s, is "
		    "cut", r->count + 1, a);
	if (record_head_decode(r->rec, &h, what, sizeof(what)) == -1)
		return fail(r, "record %" PRIu64 ", after id %s: %s",
		    r->count + 1, a, what);
	return record_read(r, &h, rec);
}

const char *
segment_error(const struct segment_reader *r)
{
	return r->error;
}

const struct archive_header *
segment_header(const struct segment_reader *r)
{
	return &r->hdr;
}

void
segment_close(struct segment_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd != -1)
		close(r->fd);
	ZSTD_freeDStream(r->z);
	free(r);
}

int
segment_verify(const char *dir, const char *name, const char *stream,
    const struct stream_id *prev_last, char *err, size_t errlen)
{
	struct segment_reader *r;
	struct segment_record rec;
	int rc;

	if (segment_open(&r, dir, name, stream, prev_last, err, errlen) == -1)
		return -1;
	while ((rc = segment_next(r, &rec)) == 1)
		;
	if (rc == -1)
		snprintf(err, errlen, "%s", r->error);
	segment_close(r);
	return rc;
}
