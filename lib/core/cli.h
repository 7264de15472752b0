#ifndef CLI_H
#define CLI_H

/*
 * --version and --help, the same for every program.  own is the one
 * option the program takes itself (NULL for none).  Returns -1 when the
 * program should go on, else the status to exit with.
 */
int	cli_handle(int argc, char *argv[], const char *name, const char *usage,
	    const char *own);

#endif
