/*
 * TEST-ONLY fault injection, off by default.  ARCHIVER_FAULT, read once
 * at start, makes the archiver kill itself (SIGKILL, no cleanup) once, at
 * one of the steps a crash test cannot hit reliably from outside:
 *
 *	before-commit	a segment written, before its commit (fsync, rename)
 *	after-commit	a segment committed, before its position is reported
 *	after-report	the position reported, before the trim
 *	mid-trim	between two trim calls of a pass
 *
 * It fires at a random one of the first few times the step is reached,
 * so that repeated runs hit different places.
 */
#ifndef ARCHIVER_FAULT_H
#define ARCHIVER_FAULT_H

enum archiver_fault {
	ARCHIVER_FAULT_NONE,
	ARCHIVER_FAULT_BEFORE_COMMIT,
	ARCHIVER_FAULT_AFTER_COMMIT,
	ARCHIVER_FAULT_AFTER_REPORT,
	ARCHIVER_FAULT_MID_TRIM
};

/* Reads ARCHIVER_FAULT; -1 with a message if it names no known fault. */
int	archiver_fault_init(void);

/* The archiver has reached step: dies there if that is the armed one. */
void	archiver_fault_at(enum archiver_fault step);

#endif
