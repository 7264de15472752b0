#ifndef CLOCK_H
#define CLOCK_H

#define CLOCK_ISO_MAX 21	/* "2026-11-30T12:00:00Z" */

/* The current UTC time as the event contract writes it. */
int	clock_iso8601(char buf[CLOCK_ISO_MAX]);

#endif
