/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "str-sanitize.h"
#include "unichar.h"
#include "coi-config-value.h"

#define COI_CONFIG_PRINTABLE_MAX 64
#define COI_CONFIG_MAILBOX_ROOT_MAX_SIZE 255

const char *const coi_config_entry_subkeys[] = {
	"config/enabled",
	"config/mailbox-root",
	"config/message-filter",
	NULL
};

static const char *const coi_message_filter_names[] = {
	[COI_MESSAGE_FILTER_NONE] = "none",
	[COI_MESSAGE_FILTER_ACTIVE] = "active",
	[COI_MESSAGE_FILTER_SEEN] = "seen",
};

bool coi_message_filter_parse(const char *value,
			      enum coi_message_filter *filter_r)
{
	unsigned int i;

	if (value == NULL)
		return FALSE;
	for (i = 0; i < N_ELEMENTS(coi_message_filter_names); i++) {
		if (strcmp(value, coi_message_filter_names[i]) == 0) {
			*filter_r = (enum coi_message_filter)i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *coi_message_filter_to_str(enum coi_message_filter filter)
{
	if ((unsigned int)filter >= N_ELEMENTS(coi_message_filter_names))
		return "none";
	return coi_message_filter_names[filter];
}

enum coi_config_entry coi_config_entry_from_subkey(const char *subkey)
{
	if (strcmp(subkey, "config/enabled") == 0)
		return COI_CONFIG_ENTRY_ENABLED;
	if (strcmp(subkey, "config/message-filter") == 0)
		return COI_CONFIG_ENTRY_MESSAGE_FILTER;
	if (strcmp(subkey, "config/mailbox-root") == 0)
		return COI_CONFIG_ENTRY_MAILBOX_ROOT;
	return COI_CONFIG_ENTRY_UNKNOWN;
}

const char *coi_config_value_printable(const unsigned char *data,
				       size_t size)
{
	string_t *str = t_str_new(I_MIN(size, COI_CONFIG_PRINTABLE_MAX) + 8);
	size_t i;

	/* NULs would end the C string early: show them like any other
	   control character. str_sanitize() replaces the rest and invalid
	   UTF-8, and cuts long values. */
	for (i = 0; i < size && i <= COI_CONFIG_PRINTABLE_MAX * 4; i++)
		str_append_c(str, data[i] == '\0' ? '?' : (char)data[i]);
	return str_sanitize(str_c(str), COI_CONFIG_PRINTABLE_MAX);
}

static bool coi_config_value_equals(const unsigned char *data, size_t size,
				    const char *expected)
{
	return size == strlen(expected) && memcmp(data, expected, size) == 0;
}

bool coi_config_enabled_value_check(const unsigned char *data, size_t size,
				    const char **error_r)
{
	if (coi_config_value_equals(data, size, COI_CONFIG_ENABLED_YES))
		return TRUE;
	*error_r = t_strdup_printf("invalid value for %s: \"%s\"",
				   COI_METADATA_ENABLED,
				   coi_config_value_printable(data, size));
	return FALSE;
}

bool coi_config_message_filter_value_check(const unsigned char *data,
					   size_t size,
					   enum coi_message_filter *filter_r,
					   const char **error_r)
{
	if (size < 16 && memchr(data, '\0', size) == NULL &&
	    coi_message_filter_parse(t_strndup(data, size), filter_r))
		return TRUE;
	*error_r = t_strdup_printf("invalid value for %s: %s",
				   COI_METADATA_MESSAGE_FILTER,
				   coi_config_value_printable(data, size));
	return FALSE;
}

bool coi_config_mailbox_root_value_check(const unsigned char *data,
					 size_t size, const char **error_r)
{
	size_t i;
	bool valid = size > 0 && size <= COI_CONFIG_MAILBOX_ROOT_MAX_SIZE &&
		uni_utf8_data_is_valid(data, size);

	for (i = 0; valid && i < size; i++) {
		if (data[i] < 0x20 || data[i] == 0x7f)
			valid = FALSE;
	}
	if (valid)
		return TRUE;
	*error_r = t_strdup_printf("invalid value for %s: \"%s\"",
				   COI_METADATA_MAILBOX_ROOT,
				   coi_config_value_printable(data, size));
	return FALSE;
}
