#ifndef TEST_WEBPUSH_COMMON_H
#define TEST_WEBPUSH_COMMON_H

/* Helpers shared by the unit tests of the Web Push crypto modules. */

#include "buffer.h"
#include "webpush-b64.h"

/* Decodes a base64url test vector into a data stack buffer. A vector that
   does not decode is a bug in the test: fatal. */
static inline buffer_t *dec(const char *b64)
{
	buffer_t *buf = t_buffer_create(128);
	const char *error;

	if (webpush_b64_decode(b64, buf, &error) < 0)
		i_fatal("bad test vector %s: %s", b64, error);
	return buf;
}

#endif
