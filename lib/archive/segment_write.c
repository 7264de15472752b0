/*
 * A segment written (segment_write.h): every byte that goes to the file
 * passes through w->out, where BLAKE2b sees it; the records either go
 * there as they are or through a zstd stream that fills it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>
#include <zstd.h>

#include "archive_dir.h"
#include "segment_read.h"
#include "segment_write.h"

#define OUT_BUF		131072
#define TEMP_NAME	"writing" ARCHIVE_TEMP_SUFFIX

struct segment_writer {
	int			 dirfd;		/* flocked */
	int			 fd;		/* the temporary file */
	char			 dir[PATH_MAX];
	ZSTD_CCtx		*z;		/* NULL: records as they are */
	crypto_generichash_state hash;
	struct archive_footer	 foot;
	struct stream_id	 last;		/* the last id appended */
	uint64_t		 raw_bytes;	/* of records, uncompressed */
	int			 committed;
	unsigned char		 out[OUT_BUF];
	size_t			 out_len;
	unsigned char		 rec[RECORD_MAX];
	char			 error[ARCHIVE_ERROR_MAX];
};

static int fail(struct segment_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct segment_writer *w, const char *fmt, ...)
{
	int n = snprintf(w->error, sizeof(w->error), "%s/%s: ", w->dir,
	    TEMP_NAME);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(w->error))
		return -1;
	va_start(ap, fmt);
	vsnprintf(w->error + n, sizeof(w->error) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
flush(struct segment_writer *w)
{
	size_t off = 0;
	ssize_t n;

	crypto_generichash_update(&w->hash, w->out, w->out_len);
	while (off < w->out_len) {
		if ((n = write(w->fd, w->out + off, w->out_len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return fail(w, "cannot write: %s", strerror(errno));
		}
		off += (size_t)n;
	}
	w->out_len = 0;
	return 0;
}

/* Bytes to the file as they are. */
static int
put(struct segment_writer *w, const unsigned char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		if (w->out_len == sizeof(w->out) && flush(w) == -1)
			return -1;
		k = sizeof(w->out) - w->out_len < n ? sizeof(w->out) -
		    w->out_len : n;
		memcpy(w->out + w->out_len, p, k);
		w->out_len += k, p += k, n -= k;
	}
	return 0;
}

/* Record bytes, through zstd if asked; ZSTD_e_end closes the frame. */
static int
put_records(struct segment_writer *w, const unsigned char *p, size_t n,
    ZSTD_EndDirective mode)
{
	ZSTD_inBuffer ib = { p, n, 0 };
	ZSTD_outBuffer ob;
	size_t left;

	if (w->z == NULL)
		return put(w, p, n);
	do {
		if (w->out_len == sizeof(w->out) && flush(w) == -1)
			return -1;
		ob = (ZSTD_outBuffer){ w->out, sizeof(w->out), w->out_len };
		left = ZSTD_compressStream2(w->z, &ob, &ib, mode);
		if (ZSTD_isError(left))
			return fail(w, "zstd: %s", ZSTD_getErrorName(left));
		w->out_len = ob.pos;
	} while (mode == ZSTD_e_end ? left != 0 : ib.pos < ib.size);
	return 0;
}

/* A segment that was being written when its writer died: never counted. */
static int
remove_temps(struct segment_writer *w)
{
	struct dirent *d;
	size_t len, sl = strlen(ARCHIVE_TEMP_SUFFIX);
	DIR *dp;
	int fd;

	if ((fd = dup(w->dirfd)) == -1 || (dp = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return fail(w, "cannot list the folder: %s", strerror(errno));
	}
	while ((d = readdir(dp)) != NULL) {
		len = strlen(d->d_name);
		if (len > sl && strcmp(d->d_name + len - sl,
		    ARCHIVE_TEMP_SUFFIX) == 0)
			unlinkat(w->dirfd, d->d_name, 0);
	}
	closedir(dp);
	return 0;
}

/* The last committed segment: the new one follows its last id. */
static int
follow_last(struct segment_writer *w, const char *stream, char *err,
    size_t errlen)
{
	struct archive_list list;
	struct archive_segment *s;
	struct segment_reader *r;
	int rc = 0;

	if (archive_list(w->dir, &list, err, errlen) == -1)
		return -1;
	if (list.n > 0) {
		s = &list.v[list.n - 1];
		if ((rc = segment_open(&r, w->dir, s->name, stream, NULL, err,
		    errlen)) == 0) {
			w->last = s->last;
			segment_close(r);
		}
	}
	archive_list_free(&list);
	return rc;
}

static int
begin(struct segment_writer *w, const char *stream, int level)
{
	struct archive_header h;
	unsigned char buf[ARCHIVE_HEADER_MAX];

	if ((w->fd = openat(w->dirfd, TEMP_NAME, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0644)) == -1)
		return fail(w, "cannot create: %s", strerror(errno));
	memset(&h, 0, sizeof(h));
	h.version = ARCHIVE_VERSION;
	h.flags = level > 0 ? ARCHIVE_FLAG_ZSTD : 0;
	h.prev_last = w->last;
	h.stream_len = strlen(stream);
	memcpy(h.stream, stream, h.stream_len);
	crypto_generichash_init(&w->hash, NULL, 0, ARCHIVE_HASH_LEN);
	if (put(w, buf, archive_header_encode(&h, buf)) == -1)
		return -1;
	if (level == 0)
		return 0;
	if ((w->z = ZSTD_createCCtx()) == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->z, ZSTD_c_compressionLevel,
	    level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->z, ZSTD_c_windowLog,
	    ARCHIVE_ZSTD_WINDOW_LOG)))
		return fail(w, "cannot start zstd at level %d", level);
	return 0;
}

int
segment_writer_open(struct segment_writer **wp, const char *dir,
    const char *stream, int zstd_level, char *err, size_t errlen)
{
	struct segment_writer *w;

	*wp = NULL;
	if (strlen(stream) == 0 || strlen(stream) > ARCHIVE_STREAM_MAX ||
	    strlen(dir) >= PATH_MAX)
		return snprintf(err, errlen, "%s: a stream name of 1 to %d bytes "
		    "and a shorter path, please", dir, ARCHIVE_STREAM_MAX), -1;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return snprintf(err, errlen, "%s: out of memory", dir), -1;
	w->fd = w->dirfd = -1;
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	if ((w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fail(w, "cannot open the folder: %s", strerror(errno));
	else if (flock(w->dirfd, LOCK_EX | LOCK_NB) == -1)
		fail(w, "another writer holds the folder: %s", strerror(errno));
	else if (remove_temps(w) == 0 &&
	    follow_last(w, stream, w->error, sizeof(w->error)) == 0 &&
	    begin(w, stream, zstd_level) == 0) {
		*wp = w;
		return 0;
	}
	snprintf(err, errlen, "%s", w->error);
	segment_writer_close(w);
	return -1;
}

/* The entry within the bounds a reader accepts, after the last one. */
static int
entry_check(struct segment_writer *w, const struct stream_entry *e)
{
	char a[STREAM_ID_MAX], b[STREAM_ID_MAX];

	stream_id_format(&e->id, a);
	if (stream_id_cmp(&e->id, &w->last) <= 0) {
		stream_id_format(&w->last, b);
		return fail(w, "entry %s does not follow %s", a, b);
	}
	if (e->type != NULL && e->type_len > ARCHIVE_TYPE_MAX)
		return fail(w, "entry %s: a type of %zu bytes, over %d", a,
		    e->type_len, ARCHIVE_TYPE_MAX);
	if (e->payload != NULL && e->payload_len > ARCHIVE_PAYLOAD_MAX)
		return fail(w, "entry %s: a payload of %zu bytes, over %d", a,
		    e->payload_len, ARCHIVE_PAYLOAD_MAX);
	return 0;
}

int
segment_writer_add(struct segment_writer *w, const struct stream_entry *e)
{
	struct record_head h;
	size_t n;

	if (entry_check(w, e) == -1)
		return -1;
	h.id = e->id;
	h.flags = (e->type != NULL ? RECORD_HAS_TYPE : 0) |
	    (e->payload != NULL ? RECORD_HAS_PAYLOAD : 0);
	h.type_len = e->type != NULL ? e->type_len : 0;
	h.payload_len = e->payload != NULL ? e->payload_len : 0;
	n = RECORD_HEAD + h.type_len + h.payload_len;
	if (w->foot.count > 0 && w->raw_bytes + n + RECORD_CRC >
	    ARCHIVE_SEGMENT_BYTES)
		return SEGMENT_FULL;
	record_head_encode(&h, w->rec);
	if (h.type_len > 0)
		memcpy(w->rec + RECORD_HEAD, e->type, h.type_len);
	if (h.payload_len > 0)
		memcpy(w->rec + RECORD_HEAD + h.type_len, e->payload,
		    h.payload_len);
	le_put32(w->rec + n, (uint32_t)crc32(0, w->rec, (uInt)n));
	if (put_records(w, w->rec, n + RECORD_CRC, ZSTD_e_continue) == -1)
		return -1;
	if (w->foot.count++ == 0)
		w->foot.first = e->id;
	w->foot.last = w->last = e->id;
	w->raw_bytes += n + RECORD_CRC;
	return 0;
}

size_t
segment_writer_count(const struct segment_writer *w)
{
	return (size_t)w->foot.count;
}

/* The rest of the records, the footer, all of it on the disk. */
static int
finish(struct segment_writer *w)
{
	unsigned char foot[ARCHIVE_FOOTER];

	if (w->z != NULL && put_records(w, NULL, 0, ZSTD_e_end) == -1)
		return -1;
	if (flush(w) == -1)
		return -1;
	archive_footer_encode(&w->foot, foot);
	crypto_generichash_update(&w->hash, foot, ARCHIVE_FOOTER_HASHED);
	crypto_generichash_final(&w->hash, w->foot.hash, ARCHIVE_HASH_LEN);
	archive_footer_encode(&w->foot, foot);
	/* Straight to the file: the hash has seen its first bytes already. */
	if (write(w->fd, foot, sizeof(foot)) != (ssize_t)sizeof(foot))
		return fail(w, "cannot write the footer: %s", strerror(errno));
	if (fsync(w->fd) == -1)
		return fail(w, "cannot fsync: %s", strerror(errno));
	return 0;
}

/*
 * link() then unlink(), not rename(): a name that exists already is an
 * error, never a segment replaced.  A crash between the two leaves the
 * *.part that the next writer removes.
 */
int
segment_writer_commit(struct segment_writer *w, char name[ARCHIVE_NAME_MAX])
{
	char final[ARCHIVE_NAME_MAX];

	if (w->foot.count == 0)
		return fail(w, "no record to commit");
	if (finish(w) == -1)
		return -1;
	archive_name_format(&w->foot.first, &w->foot.last, final);
	if (linkat(w->dirfd, TEMP_NAME, w->dirfd, final, 0) == -1)
		return fail(w, "cannot name it %s: %s", final, strerror(errno));
	w->committed = 1;
	if (unlinkat(w->dirfd, TEMP_NAME, 0) == -1 || fsync(w->dirfd) == -1)
		return fail(w, "%s: cannot fsync the folder: %s", final,
		    strerror(errno));
	if (name != NULL)
		snprintf(name, ARCHIVE_NAME_MAX, "%s", final);
	return 0;
}

const char *
segment_writer_error(const struct segment_writer *w)
{
	return w->error;
}

void
segment_writer_close(struct segment_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd != -1) {
		close(w->fd);
		if (!w->committed)
			unlinkat(w->dirfd, TEMP_NAME, 0);
	}
	if (w->dirfd != -1)
		close(w->dirfd);
	ZSTD_freeCCtx(w->z);
	free(w);
}
