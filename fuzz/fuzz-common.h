#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

/* Shared by the libFuzzer targets in fuzz/: Dovecot's lib (data stack,
   pools) is initialized once per process, and the fuzzer's input is split
   into NUL-terminated fields. */

#include "lib.h"

#include <ctype.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_lib_init(void)
{
	static bool initialized = FALSE;

	if (!initialized) {
		lib_init();
		initialized = TRUE;
	}
}

/* Splits data at NUL bytes into at most max_fields strings (allocated from
   the data stack); missing fields are NULL. Returns the number found. */
static inline unsigned int
fuzz_split(const uint8_t *data, size_t size, const char **fields,
	   unsigned int max_fields)
{
	unsigned int n = 0;
	size_t start = 0;

	for (unsigned int i = 0; i < max_fields; i++)
		fields[i] = NULL;
	for (size_t i = 0; i <= size && n < max_fields; i++) {
		if (i == size || data[i] == '\0') {
			fields[n++] = t_strndup(data + start, i - start);
			start = i + 1;
		}
	}
	return n;
}

#endif
