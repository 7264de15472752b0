/*
 * Reading the archive (ARCHIVE_DIR, docs/archive.md) into the read model:
 * the entries after the position, batch by batch, applied as a batch
 * read from the stream is (projector_apply_batch).  The live worker does
 * it when what follows its position was trimmed from the stream; a
 * rebuild starts with it.  Either then goes on in the stream after the
 * last id applied.
 */
#ifndef CATCHUP_H
#define CATCHUP_H

#include <stddef.h>

#include "archive_cursor.h"
#include "pace.h"
#include "projector.h"
#include "redis.h"
#include "stream_id.h"

/* The cursor's error (it names the file), and the entries missing. */
#define CATCHUP_ERROR_MAX	(ARCHIVE_ERROR_MAX + 256)

struct catchup {
	const char		*dir;		/* ARCHIVE_DIR */
	const char		*stream;
	struct projector	*proj;
	struct redis_conn	*rc;		/* for the pace only */
	struct pace		*pace;		/* NULL: never rest */
	size_t			 count;		/* entries a batch */
	struct stream_id	 pos;		/* applied through; moves */
	/* The archive must hold everything after pos up to this: the
	 * stream's trimmed mark. */
	struct stream_id	 need;
	/*
	 * Read on to the archive's end, past need: a rebuild does, for it
	 * spares Redis (bench/rebuild_archive.sh: Redis 0.53-0.83 us an
	 * event read from the stream, next to none from the archive, the
	 * worker's own CPU alike).  The live worker stops at the mark: what
	 * follows is in the stream, where the guard of each read checks it,
	 * and a segment past the mark that fails its check need not stop it.
	 */
	int			 whole;
	size_t			 last_n;	/* entries the last step applied */
	char			 error[CATCHUP_ERROR_MAX];
	struct archive_cursor	*cur;
};

enum catchup_result {
	CATCHUP_APPLIED,	/* a batch applied; pos moved past it */
	CATCHUP_DONE,		/* pos reached need (whole: the archive's end) */
	CATCHUP_SHORT,		/* the archive lacks some of what follows pos
				 * up to need, or a segment failed its check:
				 * error says which; nothing more applied */
	CATCHUP_MOVED,		/* another writer moved the read model */
	CATCHUP_DB_FAILED,	/* nothing applied; proj->error says why */
};

/*
 * The folder listed and its chain checked, from c->pos: CATCHUP_APPLIED
 * (go on with catchup_step), CATCHUP_DONE (nothing to read), or
 * CATCHUP_SHORT.  catchup_close either way.
 */
enum catchup_result catchup_open(struct catchup *c);
enum catchup_result catchup_step(struct catchup *c);
void	catchup_close(struct catchup *c);

/* Whether dir holds a segment at all: a rebuild starts there then. */
int	catchup_has_archive(const char *dir);

#endif
