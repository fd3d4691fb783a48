#ifndef WEBPUSH_JSON_H
#define WEBPUSH_JSON_H

#include <jansson.h>

/* Small jansson helpers shared by the modules that write and read JSON
   (subscriptions, payloads, the spool, the Web Push service's lines).
   Pure: no mail storage, no I/O. */

/* The compact JSON text of obj (with jansson's dump flags, e.g.
   JSON_SORT_KEYS or JSON_PRESERVE_ORDER), from the data stack. Releases
   obj. jansson fails only when out of memory: that is fatal. */
const char *webpush_json_dump(json_t *obj, size_t flags);

/* The string member key of obj, copied into pool. An absent or null
   member gives NULL and 0 unless required (then absent is "'key' is
   missing" and null "'key' is not a string"). Returns -1 with error_r
   ("'key' is not a string", "'key' contains NUL") otherwise. */
int webpush_json_get_string(json_t *obj, const char *key, bool required,
			    pool_t pool, const char **value_r,
			    const char **error_r);

#endif
