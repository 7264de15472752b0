/*
 * A minimal test harness, in the manner of hiredis's test("..."): every
 * CHECK carries a sentence that says the behaviour it checks, so that a
 * failure reads as what broke, not as an expression.  The runner
 * (main.c) speaks TAP: "ok N - <name>", "not ok N - <name> (file:line)",
 * "1..N", then "N passed, M failed".  By default only failures and that
 * last line are printed; -v (or UNIT_VERBOSE=1) prints every line.
 */
#ifndef CHECK_H
#define CHECK_H

#define CHECK(name, expr)	check((expr) != 0, (name), __FILE__, __LINE__)

/* 1: every line is printed; tests may show what they would hide. */
extern int check_verbose;

void	check(int ok, const char *name, const char *file, int line);

void	test_decode(void);
void	test_stream_id(void);
void	test_event(void);
void	test_token(void);
void	test_pace(void);
void	test_list_cache(void);
void	test_contract(void);
void	test_command(void);
void	test_projector(void);
void	test_token_claims(void);
void	test_sentinel(void);
void	test_limiter(void);
void	test_addr_key(void);
void	test_redis_socket(void);
void	test_maxmemory(void);
void	test_archive(void);
void	test_archive_damage(void);
void	test_archive_projector(void);

#endif
