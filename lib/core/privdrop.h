#ifndef PRIVDROP_H
#define PRIVDROP_H

/*
 * Started as root, become the unprivileged RUN_USER (default "microsvc",
 * which `make run` creates) before touching any file, and keep new files
 * private (umask 077).  A no-op for anyone else.  0, or -1 with a message.
 */
int	privdrop(void);

#endif
