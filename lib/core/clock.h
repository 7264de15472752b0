#ifndef CLOCK_H
#define CLOCK_H

#define CLOCK_ISO_MAX 21	/* "2026-11-30T12:00:00Z" */

#include <stdint.h>

/* The current UTC time as the event contract writes it. */
int	clock_iso8601(char buf[CLOCK_ISO_MAX]);

/* Microseconds on the monotonic clock: for durations and deadlines. */
int64_t	clock_monotonic_us(void);

#endif
