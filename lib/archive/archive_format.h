/*
 * The event archive's segment format, version 1 (docs/archive.md): the
 * constants, the file names, and the encoding of the header, a record's
 * head and the footer.  Every integer is little-endian.  The writer
 * (segment_write.h) and the reader (segment_read.h) both use these, so
 * that the two cannot disagree on a byte.
 */
#ifndef ARCHIVE_FORMAT_H
#define ARCHIVE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "contract.h"
#include "stream_id.h"

#define ARCHIVE_VERSION		1
#define ARCHIVE_MAGIC		"EVSEGMNT"	/* the header's first 8 bytes */
#define ARCHIVE_END_MAGIC	"EVSEGEND"	/* the footer's last 8 bytes */
#define ARCHIVE_MAGIC_LEN	8

/* Header flags: bit 0, the records are one zstd frame.  Others: refused. */
#define ARCHIVE_FLAG_ZSTD	0x1u
#define ARCHIVE_FLAGS_KNOWN	ARCHIVE_FLAG_ZSTD

/* A record's flags: which of the entry's two fields it had. */
#define RECORD_HAS_TYPE		0x1u
#define RECORD_HAS_PAYLOAD	0x2u
#define RECORD_FLAGS_KNOWN	(RECORD_HAS_TYPE | RECORD_HAS_PAYLOAD)

/*
 * The zstd window, 2^17 bytes: what a reader must hold to decompress, and
 * the most it accepts from a file.  On the services' events a window of
 * 2^22 made the files no smaller (at level 1, 25.7 bytes an event with
 * 2^17, 26.0 with 2^22; see ARCHIVE_ZSTD_LEVEL in segment_write.h).
 */
#define ARCHIVE_ZSTD_WINDOW_LOG	17

#define ARCHIVE_STREAM_MAX	255	/* bytes of the stream's name */
#define ARCHIVE_TYPE_MAX	255	/* bytes of an EventTypeName */
/*
 * Bytes of a Payload.  The largest one a Redis Function can write is an
 * AccountCreated whose two CONTRACT_TEXT_MAX texts cjson escaped to twice
 * their size ('"', '\' and '/' take a backslash; the control characters
 * that would take six are refused by the contract): under a kilobyte, and
 * under ARCHIVE_PAYLOAD_CONTRACT, a bound on any payload of the catalogue
 * (CONTRACT_FIELDS_MAX fields of a name, quotes and an escaped text),
 * which the unit tests check.  64 KiB leaves room for event types to come
 * while a reader's buffer stays small; the writer refuses a larger entry,
 * loudly, rather than store what no reader would take.
 */
#define ARCHIVE_PAYLOAD_MAX	65536
#define ARCHIVE_PAYLOAD_CONTRACT \
	(CONTRACT_FIELDS_MAX * (32 + 2 * CONTRACT_TEXT_MAX))

#define ARCHIVE_HEADER_FIXED	34	/* magic .. name length */
#define ARCHIVE_HEADER_MAX	(ARCHIVE_HEADER_FIXED + ARCHIVE_STREAM_MAX + 4)
#define RECORD_HEAD		22	/* id, flags, lengths */
#define RECORD_CRC		4
#define RECORD_MAX		(RECORD_HEAD + ARCHIVE_TYPE_MAX + \
				    ARCHIVE_PAYLOAD_MAX + RECORD_CRC)
#define ARCHIVE_HASH_LEN	32	/* BLAKE2b-256 */
#define ARCHIVE_FOOTER_HASHED	40	/* count, first, last */
#define ARCHIVE_FOOTER		(ARCHIVE_FOOTER_HASHED + ARCHIVE_HASH_LEN + \
				    ARCHIVE_MAGIC_LEN)

/*
 * A segment's name: its first and last ids, each as two 20-digit numbers,
 * so that the names sort as the ids do; "<ms>-<seq>_<ms>-<seq>.seg".
 * A segment being written has another name (ARCHIVE_TEMP_SUFFIX), which
 * readers never list and the next writer removes.
 */
#define ARCHIVE_NAME_LEN	87
#define ARCHIVE_NAME_MAX	(ARCHIVE_NAME_LEN + 1)
#define ARCHIVE_SUFFIX		".seg"
#define ARCHIVE_TEMP_SUFFIX	".part"

/* One clear sentence: the file, its ids, what is wrong. */
#define ARCHIVE_ERROR_MAX	1024

/*
 * "<path> (ids <first> to <last>): <what>" into err; first and last NULL
 * when the file's name does not say them.  Returns -1.
 */
int	archive_error(char *err, size_t errlen, const char *path,
	    const struct stream_id *first, const struct stream_id *last,
	    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

struct archive_header {
	uint32_t		version;
	uint32_t		flags;
	struct stream_id	prev_last;	/* the last id before; 0-0 */
	char			stream[ARCHIVE_STREAM_MAX + 1];
	size_t			stream_len;
};

struct archive_footer {
	uint64_t		count;
	struct stream_id	first;
	struct stream_id	last;
	unsigned char		hash[ARCHIVE_HASH_LEN];
};

struct record_head {
	struct stream_id	id;
	unsigned		flags;
	size_t			type_len;
	size_t			payload_len;
};

void	le_put64(unsigned char *p, uint64_t v);
void	le_put32(unsigned char *p, uint32_t v);
uint64_t le_get64(const unsigned char *p);
uint32_t le_get32(const unsigned char *p);

/* The header's bytes, its CRC-32 last; their number. */
size_t	archive_header_encode(const struct archive_header *h,
	    unsigned char out[ARCHIVE_HEADER_MAX]);
/*
 * The header from the len bytes at p: 0, with its size in *used; 1 if
 * more bytes are needed; -1, with why in what, if they are not one.
 */
int	archive_header_decode(const unsigned char *p, size_t len,
	    struct archive_header *h, size_t *used, char *what, size_t whatlen);

void	record_head_encode(const struct record_head *r,
	    unsigned char out[RECORD_HEAD]);
/* 0, or -1 with why in what (unknown flags, lengths past the bounds). */
int	record_head_decode(const unsigned char in[RECORD_HEAD],
	    struct record_head *r, char *what, size_t whatlen);

/* The footer's first ARCHIVE_FOOTER_HASHED bytes; then the hash, the magic. */
void	archive_footer_encode(const struct archive_footer *f,
	    unsigned char out[ARCHIVE_FOOTER]);
/* 0, or -1 if the last ARCHIVE_MAGIC_LEN bytes are not the end magic. */
int	archive_footer_decode(const unsigned char in[ARCHIVE_FOOTER],
	    struct archive_footer *f);

void	archive_name_format(const struct stream_id *first,
	    const struct stream_id *last, char out[ARCHIVE_NAME_MAX]);
/* 0 if name is a segment's, its ids in first and last; -1 otherwise. */
int	archive_name_parse(const char *name, struct stream_id *first,
	    struct stream_id *last);

#endif
