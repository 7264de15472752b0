/*
 * One logfmt line per event worth knowing, to stderr:
 *   ts=2026-11-30T12:00:00Z level=warn prog=worker pid=42 msg="..."
 * The message is quoted and escaped, so that input echoed into it cannot
 * forge lines.  Never pass a secret or a token.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_INFO, LOG_WARN, LOG_ERROR };

/* Names the program in every line; call first thing in main. */
void	log_init(const char *prog);

/*
 * At most burst lines at once and per_second a second after that; the
 * rest are counted, and the next line written ends with dropped=N.  For
 * the programs whose lines clients cause (one per refused request).
 */
void	log_bound(int per_second, int burst);

void	log_msg(enum log_level level, int with_errno, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_info(...)		log_msg(LOG_INFO, 0, __VA_ARGS__)
#define log_warn(...)		log_msg(LOG_WARN, 0, __VA_ARGS__)
#define log_error(...)		log_msg(LOG_ERROR, 0, __VA_ARGS__)
/* The same, with ": strerror(errno)" appended, like log_syswarn(3). */
#define log_syswarn(...)	log_msg(LOG_WARN, 1, __VA_ARGS__)

#endif
