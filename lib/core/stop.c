#include <string.h>
#include <time.h>

#include "stop.h"

volatile sig_atomic_t worker_stopping;

static void
on_signal(int sig)
{
	(void)sig;
	worker_stopping = 1;
}

void
stop_on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void
worker_nap(int ms)
{
	struct timespec ts;

	for (; ms > 0 && !worker_stopping; ms -= 50) {
		ts.tv_sec = 0;
		ts.tv_nsec = (ms < 50 ? ms : 50) * 1000000L;
		nanosleep(&ts, NULL);
	}
}
