#include <sys/stat.h>

#include <errno.h>
#include <string.h>

#include "archive_dir.h"
#include "start.h"

/* Level 1 by the measurements of segment_write.h. */
int
archiver_open_segment(struct archiver *a)
{
	char err[ARCHIVE_ERROR_MAX];

	if (segment_writer_open(&a->w, a->cfg->archive_dir,
	    a->cfg->stream_key, ARCHIVE_ZSTD_LEVEL, err, sizeof(err)) == 0)
		return 0;
	a->w = NULL;
	archiver_problem(a, LOG_ERROR, "%s: no segment can be written: %s; "
	    "trying again", a->cfg->archive_dir, err);
	return -1;
}

int
archiver_locate(struct archiver *a)
{
	const char *dir = a->cfg->archive_dir;
	char err[ARCHIVE_ERROR_MAX];
	struct archive_list list;

	if (archive_list(dir, &list, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	/* A broken chain is the operator's to mend (archiver --verify);
	 * the segments to come follow the last one all the same. */
	if (archive_check_chain(dir, a->cfg->stream_key, &list, err,
	    sizeof(err)) == -1)
		log_error("%s", err);
	a->committed = (struct stream_id){ 0, 0 };
	if (list.n > 0)
		a->committed = list.v[list.n - 1].last;
	a->pos = a->committed;
	archive_list_free(&list);
	return 0;
}

int
archiver_start(struct archiver *a)
{
	char id[STREAM_ID_MAX];

	if (mkdir(a->cfg->archive_dir, 0700) == -1 && errno != EEXIST) {
		log_error("ARCHIVE_DIR %s: cannot make it: %s",
		    a->cfg->archive_dir, strerror(errno));
		return -1;
	}
	if (archiver_locate(a) == -1)
		return -1;
	stream_id_format(&a->committed, id);
	log_info("archive %s ends at %s", a->cfg->archive_dir, id);
	return 0;
}
