/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "webpush-json.h"

const char *webpush_json_dump(json_t *obj, size_t flags)
{
	const char *ret;
	char *text;

	i_assert(obj != NULL);
	text = json_dumps(obj, JSON_COMPACT | flags);
	json_decref(obj);
	if (text == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "jansson: out of memory");
	ret = t_strdup(text);
	free(text);
	return ret;
}

int webpush_json_get_string(json_t *obj, const char *key, bool required,
			    pool_t pool, const char **value_r,
			    const char **error_r)
{
	json_t *value = json_object_get(obj, key);

	if (value == NULL && required) {
		*error_r = t_strdup_printf("'%s' is missing", key);
		return -1;
	}
	if (value == NULL || (json_is_null(value) && !required)) {
		*value_r = NULL;
		return 0;
	}
	if (!json_is_string(value)) {
		*error_r = t_strdup_printf("'%s' is not a string", key);
		return -1;
	}
	/* only with JSON_ALLOW_NUL, which no caller uses; still checked,
	   since a C string would end there */
	if (strlen(json_string_value(value)) != json_string_length(value)) {
		*error_r = t_strdup_printf("'%s' contains NUL", key);
		return -1;
	}
	*value_r = p_strdup(pool, json_string_value(value));
	return 0;
}
