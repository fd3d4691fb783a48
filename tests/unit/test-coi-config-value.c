/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "coi-config-value.h"

#define V(s) (const unsigned char *)(s), sizeof(s) - 1

static void test_enabled_values(void)
{
	const char *error;

	test_begin("enabled: only lower-case yes");
	test_assert(coi_config_enabled_value_check(V("yes"), &error));
	test_assert(!coi_config_enabled_value_check(V("YES"), &error));
	test_assert_strcmp(error, "invalid value for "
		"/private/vendor/vendor.dovecot/coi/config/enabled: \"YES\"");
	test_assert(!coi_config_enabled_value_check(V(""), &error));
	test_assert_strcmp(error, "invalid value for "
		"/private/vendor/vendor.dovecot/coi/config/enabled: \"\"");
	test_assert(!coi_config_enabled_value_check(V("no"), &error));
	test_assert(!coi_config_enabled_value_check(V("yes "), &error));
	test_assert(!coi_config_enabled_value_check(V("yes\0"), &error));
	test_assert_strcmp(error, "invalid value for "
		"/private/vendor/vendor.dovecot/coi/config/enabled: \"yes?\"");
	test_end();
}

static void test_message_filter_values(void)
{
	enum coi_message_filter filter;
	const char *error;

	test_begin("message-filter: none, active, seen");
	test_assert(coi_config_message_filter_value_check(V("none"), &filter,
							  &error) &&
		    filter == COI_MESSAGE_FILTER_NONE);
	test_assert(coi_config_message_filter_value_check(V("active"), &filter,
							  &error) &&
		    filter == COI_MESSAGE_FILTER_ACTIVE);
	test_assert(coi_config_message_filter_value_check(V("seen"), &filter,
							  &error) &&
		    filter == COI_MESSAGE_FILTER_SEEN);
	test_assert(!coi_config_message_filter_value_check(V("Active"),
							   &filter, &error));
	test_assert_strcmp(error, "invalid value for "
		"/private/vendor/vendor.dovecot/coi/config/message-filter: "
		"Active");
	test_assert(!coi_config_message_filter_value_check(V("seen\0x"),
							   &filter, &error));
	test_assert(!coi_config_message_filter_value_check(V(""), &filter,
							   &error));
	test_end();

	test_begin("message-filter: parse and to_str");
	test_assert(coi_message_filter_parse("active", &filter) &&
		    filter == COI_MESSAGE_FILTER_ACTIVE);
	test_assert(!coi_message_filter_parse("ACTIVE", &filter));
	test_assert(!coi_message_filter_parse(NULL, &filter));
	test_assert_strcmp(coi_message_filter_to_str(COI_MESSAGE_FILTER_SEEN),
			   "seen");
	test_assert_strcmp(coi_message_filter_to_str(COI_MESSAGE_FILTER_NONE),
			   "none");
	test_assert_strcmp(coi_message_filter_to_str(99), "none");
	test_end();
}

static void test_mailbox_root_values(void)
{
	const char *error;
	unsigned char longval[300];

	test_begin("mailbox-root: form");
	test_assert(coi_config_mailbox_root_value_check(V("Chat"), &error));
	test_assert(coi_config_mailbox_root_value_check(V("Ch\xc3\xa4t"),
							&error));
	test_assert(!coi_config_mailbox_root_value_check(V(""), &error));
	test_assert_strcmp(error, "invalid value for "
		"/private/vendor/vendor.dovecot/coi/config/mailbox-root: \"\"");
	test_assert(!coi_config_mailbox_root_value_check(V("a\r\nb"), &error));
	test_assert(strchr(error, '\r') == NULL &&
		    strchr(error, '\n') == NULL);
	test_assert(!coi_config_mailbox_root_value_check(V("\xff\xfe"),
							 &error));
	memset(longval, 'a', sizeof(longval));
	test_assert(!coi_config_mailbox_root_value_check(longval,
							 sizeof(longval),
							 &error));
	test_assert(strlen(error) < 200);
	test_end();
}

static void test_entries(void)
{
	unsigned int i;

	test_begin("entries");
	test_assert(coi_config_entry_from_subkey("config/enabled") ==
		    COI_CONFIG_ENTRY_ENABLED);
	test_assert(coi_config_entry_from_subkey("config/message-filter") ==
		    COI_CONFIG_ENTRY_MESSAGE_FILTER);
	test_assert(coi_config_entry_from_subkey("config/mailbox-root") ==
		    COI_CONFIG_ENTRY_MAILBOX_ROOT);
	test_assert(coi_config_entry_from_subkey("config") ==
		    COI_CONFIG_ENTRY_UNKNOWN);
	test_assert(coi_config_entry_from_subkey("config/enabled/x") ==
		    COI_CONFIG_ENTRY_UNKNOWN);
	for (i = 0; coi_config_entry_subkeys[i] != NULL; i++) {
		test_assert(coi_config_entry_from_subkey(
			coi_config_entry_subkeys[i]) != COI_CONFIG_ENTRY_UNKNOWN);
	}
	test_assert(i == 3);
	test_end();
}

static void test_printable(void)
{
	const char *p;
	unsigned char binary[] = { 'a', 0, 0x01, 0xff, '\r', '\n', 'b' };
	char longval[1000];

	test_begin("printable values");
	p = coi_config_value_printable(binary, sizeof(binary));
	test_assert(strchr(p, '\r') == NULL && strchr(p, '\n') == NULL);
	test_assert(p[0] == 'a' && p[strlen(p)-1] == 'b');
	memset(longval, 'x', sizeof(longval));
	p = coi_config_value_printable((const void *)longval,
				       sizeof(longval));
	test_assert(strlen(p) <= 64 + 3);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_enabled_values,
		test_message_filter_values,
		test_mailbox_root_values,
		test_entries,
		test_printable,
		NULL
	};
	return test_run(test_functions);
}
