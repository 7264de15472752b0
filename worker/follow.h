/*
 * Following the stream: the state of a reader that applies what it reads
 * to a read model, and the one step that both the live worker and a
 * rebuild's replay take again and again: read the next batch after the
 * position, apply it, move on.
 */
#ifndef FOLLOW_H
#define FOLLOW_H

#include <stddef.h>

#include "pace.h"
#include "projector.h"
#include "redis.h"
#include "report.h"
#include "stream_id.h"
#include "stream_reader.h"

struct follow {
	struct stream_reader	 rd;		/* its connection, stream, counts */
	struct projector	*proj;
	struct pace		*pace;		/* NULL: never rest */
	struct report		*report;	/* NULL: never report */
	struct stream_id	 pos;		/* read the entries after this */
	size_t			 last_n;	/* entries the last step applied */
	struct stream_id	 trimmed;	/* the mark the last read saw */
};

enum follow_result {
	FOLLOW_APPLIED,		/* a batch applied; pos moved past it */
	FOLLOW_QUIET,		/* nothing new: the end, for a replay */
	FOLLOW_NO_REDIS,	/* Redis unreachable; nothing applied */
	FOLLOW_TRIMMED,		/* what follows pos was trimmed, up to f->trimmed:
				 * it is in the archive; nothing applied */
	FOLLOW_LOST,		/* the stream lost pos past every trim; nothing
				 * applied */
	FOLLOW_MOVED,		/* another writer moved the read model; pos follows */
	FOLLOW_DB_FAILED,	/* nothing applied; proj->error says why */
};

enum follow_result follow_step(struct follow *f);

/*
 * A batch applied, by follow_step and by the archive's reader alike: pos
 * and applied moved past it (PROJECTOR_OK), pos set to the database's
 * id (PROJECTOR_MOVED), or nothing (PROJECTOR_FAILED); a full batch
 * rests as pace says.
 */
enum projector_result follow_apply(struct projector *p, struct pace *pace,
	    const struct stream_batch *b, int full, struct stream_id *pos,
	    size_t *applied);

/* Drops a read in flight (before f->pos is set anew, or at the end). */
void	follow_drop(struct follow *f);

#endif
