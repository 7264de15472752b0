/*
 * Runs a fuzz target once on each file named on the command line, so
 * that the corpus replays without clang or libFuzzer.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

static int
replay(const char *path)
{
	FILE *f;
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) == -1 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1 ||
	    (buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

int
main(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++)
		if (replay(argv[i]) == -1)
			err(EXIT_FAILURE, "%s", argv[i]);
	printf("%s: %d inputs replayed\n", argv[0], argc - 1);
	return EXIT_SUCCESS;
}
