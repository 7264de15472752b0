/*
 * libFuzzer targets.  Built with clang by `make fuzz`; `make test` links
 * the same targets to replay.c and runs every file of the corpus once
 * under ASan/UBSan, so a crash found once stays fixed.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
