/*
 * Stopping: SIGTERM and SIGINT set a flag that every loop of the worker
 * and of the archiver checks, and that ends their sleeps early.
 */
#ifndef STOP_H
#define STOP_H

#include <signal.h>

extern volatile sig_atomic_t worker_stopping;

/* Installs the handlers; without SA_RESTART, so that a blocking read ends. */
void	stop_on_signals(void);

/* Sleeps ms milliseconds unless a stop is asked for meanwhile. */
void	worker_nap(int ms);

#endif
