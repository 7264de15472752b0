#include <stdio.h>

#include "clock.h"
#include "commit.h"
#include "fault.h"
#include "report.h"
#include "retention.h"

void
archiver_discard(struct archiver *a)
{
	stream_reader_drop(&a->rd);
	segment_writer_close(a->w);
	a->w = NULL;
	a->pos = a->committed;
}

/*
 * REDIS_WAIT_REPLICAS: WAIT counts the replicas that have every write of
 * this connection, and it has written nothing since the entries were
 * read; a report of the position committed so far is such a write (it
 * changes nothing the archive says), and it comes after every entry of
 * the segment.  Too few: the segment waits, as a 201 would be a 503.
 */
static int
replicated(struct archiver *a)
{
	const struct config *cfg = a->cfg;
	struct stream_id mark, pos;
	char last[STREAM_ID_MAX];
	long long got = -1;
	redisReply *r;

	archiver_position(a, &pos);
	if (retention_report(a->rc, cfg->stream_key, RETENTION_KIND_ARCHIVE,
	    cfg->consumer_name, &pos, &mark) == -1)
		return -1;
	r = redis_conn_command(a->rc, "WAIT %d %d", cfg->wait_replicas,
	    cfg->wait_timeout_ms);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		got = r->integer;
	freeReplyObject(r);
	if (got >= cfg->wait_replicas)
		return 0;
	stream_id_format(&a->pos, last);
	archiver_problem(a, LOG_WARN, "the open segment (%zu entries, to %s) "
	    "is not committed: %lld of the %d replicas REDIS_WAIT_REPLICAS "
	    "asks for have them; trying again", segment_writer_count(a->w),
	    last, got < 0 ? 0 : got, cfg->wait_replicas);
	return -1;
}

/*
 * The connection may have followed a failover since the entries were
 * read, to a primary that never got them: the segment must not keep
 * them (their clients had a 503 and retry under new ids).  The primary
 * has the segment's last entry, so it has them all.  A window is left:
 * a reconnection between the report and WAIT makes WAIT count nothing
 * of this connection's, and a second failover before the new primary's
 * replicas catch up could then lose what the segment holds.
 */
static int
durable(struct archiver *a)
{
	char last[STREAM_ID_MAX];
	int has;

	if (a->cfg->wait_replicas > 0 && replicated(a) == -1)
		return -1;
	has = stream_has(a->rc, a->cfg->stream_key, &a->pos);
	if (has == 0) {
		stream_id_format(&a->pos, last);
		archiver_problem(a, LOG_WARN, "the stream no longer has %s, "
		    "the open segment's last entry (a failover lost it): the "
		    "segment is dropped, and the stream read again", last);
		archiver_discard(a);
	}
	return has == 1 ? 0 : -1;
}

int
archiver_commit(struct archiver *a)
{
	char name[ARCHIVE_NAME_MAX];
	size_t n = segment_writer_count(a->w);

	stream_reader_drop(&a->rd);
	if (durable(a) == -1)
		return -1;
	archiver_fault_at(ARCHIVER_FAULT_BEFORE_COMMIT);
	if (segment_writer_commit(a->w, name) == -1) {
		archiver_problem(a, LOG_ERROR, "%s: the segment was not "
		    "committed: %s; its entries will be read again",
		    a->cfg->archive_dir, segment_writer_error(a->w));
		archiver_discard(a);
		return -1;
	}
	segment_writer_close(a->w);
	a->w = NULL;
	a->committed = a->pos;
	log_info("committed %s: %zu entries, the first appended %lld ms "
	    "before", name, n, (long long)(clock_monotonic_us() -
	    a->opened_us) / 1000);
	archiver_clear(a);
	archiver_fault_at(ARCHIVER_FAULT_AFTER_COMMIT);
	if (archiver_report(a) == 0)
		archiver_fault_at(ARCHIVER_FAULT_AFTER_REPORT);
	a->trim_more = 1;
	return 0;
}
