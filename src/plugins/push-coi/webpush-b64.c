/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "buffer.h"
#include "str.h"
#include "base64.h"
#include "webpush-b64.h"

int webpush_b64_decode(const char *str, buffer_t *dest, const char **error_r)
{
	const struct base64_scheme *scheme = &base64url_scheme;
	bool std_chars = FALSE, url_chars = FALSE;
	size_t len, data_len, padding, start_size;
	string_t *canon;

	len = strlen(str);
	data_len = len;
	while (data_len > 0 && str[data_len-1] == '=')
		data_len--;
	padding = len - data_len;

	for (size_t i = 0; i < data_len; i++) {
		switch (str[i]) {
		case '+':
		case '/':
			std_chars = TRUE;
			break;
		case '-':
		case '_':
			url_chars = TRUE;
			break;
		default:
			if (!((str[i] >= 'A' && str[i] <= 'Z') ||
			      (str[i] >= 'a' && str[i] <= 'z') ||
			      (str[i] >= '0' && str[i] <= '9'))) {
				*error_r = (str[i] == '=' ?
					"padding '=' inside the data" :
					"invalid base64 character");
				return -1;
			}
		}
	}
	if (std_chars && url_chars) {
		*error_r = "mixes base64 ('+', '/') and base64url ('-', '_') characters";
		return -1;
	}
	if (std_chars)
		scheme = &base64_scheme;
	if (data_len % 4 == 1) {
		*error_r = "impossible base64 length";
		return -1;
	}
	if (padding > 0 && (padding > 2 || len % 4 != 0)) {
		*error_r = "wrong base64 padding";
		return -1;
	}

	start_size = dest->used;
	if (base64_scheme_decode(scheme, BASE64_DECODE_FLAG_NO_WHITESPACE |
				 BASE64_DECODE_FLAG_NO_PADDING,
				 str, data_len, dest) < 0) {
		*error_r = "invalid base64";
		return -1;
	}

	/* Reject non-canonical encodings (unused low bits set in the last
	   character): they would let two spellings stand for one key. */
	canon = t_str_new(data_len + 3);
	base64_scheme_encode(scheme, BASE64_ENCODE_FLAG_NO_PADDING, 0,
			     CONST_PTR_OFFSET(dest->data, start_size),
			     dest->used - start_size, canon);
	if (str_len(canon) != data_len ||
	    memcmp(str_data(canon), str, data_len) != 0) {
		*error_r = "non-canonical base64 (unused bits set)";
		return -1;
	}
	return 0;
}

void webpush_b64url_append(string_t *dest, const void *data, size_t size)
{
	base64url_encode(BASE64_ENCODE_FLAG_NO_PADDING, 0, data, size, dest);
}

const char *webpush_b64url_encode(const void *data, size_t size)
{
	string_t *str = t_str_new(MAX_BASE64_ENCODED_SIZE(size) + 1);

	webpush_b64url_append(str, data, size);
	return str_c(str);
}
