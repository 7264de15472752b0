/*
 * The archive with and without zstd, on events like the services write:
 * for each level, N events written into segments (committed, fsynced),
 * then the folder verified and read back through the cursor in batches
 * of 1000, as the projector will.  The events are a mix of a shop's day:
 * per account (AccountCreated) 20 customers (CustomerCreated), each with
 * 20 invoices (InvoiceCreated), some deleted; names, prices and dates
 * vary as a client's do.
 *
 *	archive_size DIR [EVENTS [LEVEL...]]	(default 300000 events; 0 1 3)
 *
 * Prints per level: bytes per event on disk; write (with fsync), verify
 * and read speeds in MB/s of the records before compression (wall clock)
 * and the CPU time (user and system) per event, which a busy machine
 * does not distort as much.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_cursor.h"
#include "archive_dir.h"
#include "clock.h"
#include "segment_write.h"

static const char *const first_names[] = { "Martin", "Ada", "Grace",
    "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger" };
static const char *const last_names[] = { "North", "Lovelace", "Hopper",
    "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen",
    "Dijkstra", "Müller-Lüdenscheidt" };

/* The i-th event: its type and payload, as db/events.lua writes them. */
static const char *
event_make(uint64_t i, char *buf, size_t len, uint64_t *seed)
{
	uint64_t acct = i / 421 + 1, k = i % 421, cust, inv;
	unsigned r = (unsigned)(*seed = *seed * 6364136223846793005ULL + 1) >> 1;
	char when[32];

	snprintf(when, sizeof(when), "2026-%02" PRIu64 "-%02" PRIu64
	    "T%02u:%02u:%02uZ", 1 + i / 2000000 % 12, 1 + i / 70000 % 28,
	    r % 24, r / 24 % 60, r / 1440 % 60);
	if (k == 0) {
		snprintf(buf, len, "{\"id\":\"%" PRIu64 "\",\"name\":\"%s & %s "
		    "GmbH\",\"description\":\"Wholesale of %s goods, account "
		    "%" PRIu64 "\",\"owned_by\":\"user%u\",\"created_date\":"
		    "\"%s\"}", acct, last_names[r % 11], last_names[r / 11 % 11],
		    first_names[r % 10], acct, r % 500, when);
		return "AccountCreated";
	}
	cust = (acct - 1) * 20 + (k - 1) / 21 + 1;
	if ((k - 1) % 21 == 0) {
		snprintf(buf, len, "{\"id\":\"%" PRIu64 "\",\"account_id\":\"%"
		    PRIu64 "\",\"name\":\"%s %s %u\",\"created_date\":\"%s\"}",
		    cust, acct, first_names[r % 10], last_names[r / 10 % 11],
		    r % 1000, when);
		return "CustomerCreated";
	}
	inv = (cust - 1) * 20 + (k - 1) % 21;
	if (r % 50 == 0) {
		snprintf(buf, len, "{\"id\":\"%" PRIu64 "\",\"customer_id\":\"%"
		    PRIu64 "\",\"purchase_price_cents\":%u}", inv, cust,
		    r % 100000);
		return "InvoiceDeleted";
	}
	snprintf(buf, len, "{\"id\":\"%" PRIu64 "\",\"customer_id\":\"%" PRIu64
	    "\",\"purchase_price_cents\":%u,\"created_date\":\"%s\","
	    "\"purchase_date\":\"2026-%02u-%02u\"}", inv, cust, r % 100000,
	    when, 1 + r % 12, 1 + r / 12 % 28);
	return "InvoiceCreated";
}

/* n events into dir at a level; the bytes of their records in *raw. */
static void
write_all(const char *dir, uint64_t n, int level, uint64_t *raw)
{
	struct segment_writer *w = NULL;
	struct stream_entry e;
	char err[ARCHIVE_ERROR_MAX], payload[1024];
	uint64_t i, seed = 42;
	int rc;

	*raw = 0;
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.type = event_make(i, payload, sizeof(payload), &seed);
		e.type_len = strlen(e.type);
		e.payload = payload;
		e.payload_len = strlen(payload);
		e.id.ms = 1780000000000ULL + i / 3;
		e.id.seq = i % 3;
		if (w == NULL && segment_writer_open(&w, dir, "event-stream",
		    level, err, sizeof(err)) == -1)
			errx(1, "%s", err);
		if ((rc = segment_writer_add(w, &e)) == SEGMENT_FULL) {
			if (segment_writer_commit(w, NULL) == -1)
				errx(1, "%s", segment_writer_error(w));
			segment_writer_close(w);
			w = NULL;
			i--;
			continue;
		}
		if (rc == -1)
			errx(1, "%s", segment_writer_error(w));
		*raw += RECORD_HEAD + e.type_len + e.payload_len + RECORD_CRC;
	}
	if (w != NULL && segment_writer_commit(w, NULL) == -1)
		errx(1, "%s", segment_writer_error(w));
	segment_writer_close(w);
}

static uint64_t
disk_bytes(const char *dir, size_t *segments)
{
	struct archive_list list;
	char msg[ARCHIVE_ERROR_MAX], path[4096 + ARCHIVE_NAME_MAX];
	uint64_t total = 0;
	FILE *f;
	size_t i;

	if (archive_list(dir, &list, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	for (i = 0; i < list.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list.v[i].name);
		if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0)
			err(1, "%s", path);
		total += (uint64_t)ftell(f);
		fclose(f);
	}
	*segments = list.n;
	archive_list_free(&list);
	return total;
}

static uint64_t
read_all(const char *dir)
{
	static const struct stream_id zero;
	struct archive_cursor *c;
	struct archive_batch b;
	char err[ARCHIVE_ERROR_MAX];
	uint64_t n = 0;
	size_t got;

	if (archive_cursor_open(&c, dir, "event-stream", &zero, err,
	    sizeof(err)) == -1)
		errx(1, "%s", err);
	do {
		if (archive_cursor_next(c, 1000, &b) == -1)
			errx(1, "%s", archive_cursor_error(c));
		n += got = b.batch.n;
		archive_batch_free(&b);
	} while (got > 0);
	archive_cursor_close(c);
	return n;
}

/* This process's CPU time, user and system, in microseconds. */
static int64_t
cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static void
measure(const char *base, uint64_t n, int level)
{
	char dir[4096], msg[ARCHIVE_ERROR_MAX];
	int64_t t[4], c[4];
	uint64_t raw, disk, got;
	size_t segs;

	snprintf(dir, sizeof(dir), "%s/level-%d", base, level);
	if (mkdir(dir, 0755) == -1)
		err(1, "%s (must not exist)", dir);
	t[0] = clock_monotonic_us(), c[0] = cpu_us();
	write_all(dir, n, level, &raw);
	t[1] = clock_monotonic_us(), c[1] = cpu_us();
	if (archive_verify(dir, "event-stream", msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	t[2] = clock_monotonic_us(), c[2] = cpu_us();
	if ((got = read_all(dir)) != n)
		errx(1, "read %" PRIu64 " of %" PRIu64, got, n);
	t[3] = clock_monotonic_us(), c[3] = cpu_us();
	disk = disk_bytes(dir, &segs);
	printf("level=%d events=%" PRIu64 " segments=%zu record_bytes_per_event"
	    "=%.1f disk_bytes_per_event=%.1f ratio=%.2f\n", level, n, segs,
	    (double)raw / (double)n, (double)disk / (double)n,
	    (double)raw / (double)disk);
	printf("  write: %.0f MB/s, %.2f cpu_us/event; verify: %.0f MB/s, "
	    "%.2f cpu_us/event; read: %.0f MB/s, %.2f cpu_us/event\n",
	    (double)raw / (double)(t[1] - t[0]), (double)(c[1] - c[0]) /
	    (double)n, (double)raw / (double)(t[2] - t[1]),
	    (double)(c[2] - c[1]) / (double)n,
	    (double)raw / (double)(t[3] - t[2]), (double)(c[3] - c[2]) /
	    (double)n);
}

int
main(int argc, char **argv)
{
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 300000;
	int i;

	if (argc < 2 || n == 0)
		errx(2, "usage: archive_size DIR [EVENTS [LEVEL...]]");
	if (argc <= 3) {
		measure(argv[1], n, 0);
		measure(argv[1], n, 1);
		measure(argv[1], n, 3);
	}
	for (i = 3; i < argc; i++)
		measure(argv[1], n, atoi(argv[i]));
	return 0;
}
