/*
 * The bytes of a segment's parts (archive_format.h, docs/archive.md).
 * CRC-32 is zlib's: the IEEE polynomial that gzip and PNG use, so any
 * language's standard library can check a record; BLAKE2b for the whole
 * file is libsodium's crypto_generichash, which the project already links.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "archive_format.h"

void
le_put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

void
le_put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

uint64_t
le_get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint32_t
le_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

size_t
archive_header_encode(const struct archive_header *h,
    unsigned char out[ARCHIVE_HEADER_MAX])
{
	size_t n = ARCHIVE_HEADER_FIXED + h->stream_len;

	memcpy(out, ARCHIVE_MAGIC, ARCHIVE_MAGIC_LEN);
	le_put32(out + 8, h->version);
	le_put32(out + 12, h->flags);
	le_put64(out + 16, h->prev_last.ms);
	le_put64(out + 24, h->prev_last.seq);
	out[32] = (unsigned char)(h->stream_len & 0xff);
	out[33] = (unsigned char)(h->stream_len >> 8);
	memcpy(out + ARCHIVE_HEADER_FIXED, h->stream, h->stream_len);
	le_put32(out + n, (uint32_t)crc32(0, out, (uInt)n));
	return n + 4;
}

/* Magic and version first: a later version may lay out the rest anew. */
int
archive_header_decode(const unsigned char *p, size_t len,
    struct archive_header *h, size_t *used, char *what, size_t whatlen)
{
	size_t n;

	if (len < ARCHIVE_HEADER_FIXED)
		return 1;
	if (memcmp(p, ARCHIVE_MAGIC, ARCHIVE_MAGIC_LEN) != 0)
		return snprintf(what, whatlen, "not a segment (no magic)"), -1;
	if ((h->version = le_get32(p + 8)) != ARCHIVE_VERSION)
		return snprintf(what, whatlen, "unknown format version %" PRIu32
		    " (this reader knows %d)", h->version, ARCHIVE_VERSION), -1;
	h->stream_len = (size_t)p[32] | (size_t)p[33] << 8;
	if (h->stream_len == 0 || h->stream_len > ARCHIVE_STREAM_MAX)
		return snprintf(what, whatlen, "header names a stream of %zu "
		    "bytes", h->stream_len), -1;
	n = ARCHIVE_HEADER_FIXED + h->stream_len;
	if (len < n + 4)
		return 1;
	if (le_get32(p + n) != (uint32_t)crc32(0, p, (uInt)n))
		return snprintf(what, whatlen, "header checksum mismatch"), -1;
	if (((h->flags = le_get32(p + 12)) & ~ARCHIVE_FLAGS_KNOWN) != 0)
		return snprintf(what, whatlen, "unknown header flags 0x%"
		    PRIx32, h->flags), -1;
	h->prev_last.ms = le_get64(p + 16);
	h->prev_last.seq = le_get64(p + 24);
	memcpy(h->stream, p + ARCHIVE_HEADER_FIXED, h->stream_len);
	h->stream[h->stream_len] = '\0';
	*used = n + 4;
	return 0;
}

void
record_head_encode(const struct record_head *r, unsigned char out[RECORD_HEAD])
{
	le_put64(out, r->id.ms);
	le_put64(out + 8, r->id.seq);
	out[16] = (unsigned char)r->flags;
	out[17] = (unsigned char)r->type_len;
	le_put32(out + 18, (uint32_t)r->payload_len);
}

int
record_head_decode(const unsigned char in[RECORD_HEAD], struct record_head *r,
    char *what, size_t whatlen)
{
	r->id.ms = le_get64(in);
	r->id.seq = le_get64(in + 8);
	r->flags = in[16];
	r->type_len = in[17];
	r->payload_len = le_get32(in + 18);
	if ((r->flags & ~RECORD_FLAGS_KNOWN) != 0 ||
	    (!(r->flags & RECORD_HAS_TYPE) && r->type_len != 0) ||
	    (!(r->flags & RECORD_HAS_PAYLOAD) && r->payload_len != 0))
		return snprintf(what, whatlen, "record head has unknown or "
		    "contradictory flags 0x%x", r->flags), -1;
	if (r->payload_len > ARCHIVE_PAYLOAD_MAX)
		return snprintf(what, whatlen, "record payload of %zu bytes, "
		    "over %d", r->payload_len, ARCHIVE_PAYLOAD_MAX), -1;
	return 0;
}

void
archive_footer_encode(const struct archive_footer *f,
    unsigned char out[ARCHIVE_FOOTER])
{
	le_put64(out, f->count);
	le_put64(out + 8, f->first.ms);
	le_put64(out + 16, f->first.seq);
	le_put64(out + 24, f->last.ms);
	le_put64(out + 32, f->last.seq);
	memcpy(out + ARCHIVE_FOOTER_HASHED, f->hash, ARCHIVE_HASH_LEN);
	memcpy(out + ARCHIVE_FOOTER_HASHED + ARCHIVE_HASH_LEN,
	    ARCHIVE_END_MAGIC, ARCHIVE_MAGIC_LEN);
}

int
archive_footer_decode(const unsigned char in[ARCHIVE_FOOTER],
    struct archive_footer *f)
{
	if (memcmp(in + ARCHIVE_FOOTER_HASHED + ARCHIVE_HASH_LEN,
	    ARCHIVE_END_MAGIC, ARCHIVE_MAGIC_LEN) != 0)
		return -1;
	f->count = le_get64(in);
	f->first.ms = le_get64(in + 8);
	f->first.seq = le_get64(in + 16);
	f->last.ms = le_get64(in + 24);
	f->last.seq = le_get64(in + 32);
	memcpy(f->hash, in + ARCHIVE_FOOTER_HASHED, ARCHIVE_HASH_LEN);
	return 0;
}

void
archive_name_format(const struct stream_id *first,
    const struct stream_id *last, char out[ARCHIVE_NAME_MAX])
{
	snprintf(out, ARCHIVE_NAME_MAX, "%020" PRIu64 "-%020" PRIu64 "_%020"
	    PRIu64 "-%020" PRIu64 ARCHIVE_SUFFIX, first->ms, first->seq,
	    last->ms, last->seq);
}

/* Exactly the shape archive_name_format makes, and nothing else. */
int
archive_name_parse(const char *name, struct stream_id *first,
    struct stream_id *last)
{
	char again[ARCHIVE_NAME_MAX];
	uint64_t v[4], d;
	size_t i, j;

	if (strlen(name) != ARCHIVE_NAME_LEN)
		return -1;
	for (i = 0; i < 4; i++) {
		v[i] = 0;
		for (j = i * 21; j < i * 21 + 20; j++) {
			d = (uint64_t)(name[j] - '0');
			if (name[j] < '0' || name[j] > '9' ||
			    v[i] > (UINT64_MAX - d) / 10)
				return -1;
			v[i] = v[i] * 10 + d;
		}
	}
	first->ms = v[0], first->seq = v[1], last->ms = v[2], last->seq = v[3];
	archive_name_format(first, last, again);
	return strcmp(again, name) == 0 ? 0 : -1;
}

int
archive_error(char *err, size_t errlen, const char *path,
    const struct stream_id *first, const struct stream_id *last,
    const char *fmt, ...)
{
	char a[STREAM_ID_MAX] = "?", b[STREAM_ID_MAX] = "?";
	va_list ap;
	int n;

	if (first != NULL)
		stream_id_format(first, a);
	if (last != NULL)
		stream_id_format(last, b);
	n = snprintf(err, errlen, "%s (ids %s to %s): ", path, a, b);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}
