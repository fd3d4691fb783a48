#ifndef COI_CONFIG_VALUE_H
#define COI_CONFIG_VALUE_H

/* The value rules of the COI configuration METADATA entries (CS-06..CS-09,
   CS-16): entry names, which values each entry accepts and the exact error
   texts for the others. Pure: no mail storage. */

#include "coi-config.h"

/* The METADATA entries, as IMAP clients name them (server annotations,
   mailbox ""). */
#define COI_METADATA_PREFIX "/private/vendor/vendor.dovecot/coi"
#define COI_METADATA_CONFIG COI_METADATA_PREFIX"/config"
#define COI_METADATA_ENABLED COI_METADATA_CONFIG"/enabled"
#define COI_METADATA_MESSAGE_FILTER COI_METADATA_CONFIG"/message-filter"
#define COI_METADATA_MAILBOX_ROOT COI_METADATA_CONFIG"/mailbox-root"

/* The same entries as INBOX attribute keys: the server prefix
   (MAILBOX_ATTRIBUTE_PREFIX_DOVECOT_PVT_SERVER) followed by the entry name
   without "/private/". COI_ATTR_PREFIX covers the whole COI subtree. */
#define COI_ATTR_SERVER_PREFIX "vendor/vendor.dovecot/pvt/server/"
#define COI_ATTR_ROOT COI_ATTR_SERVER_PREFIX"vendor/vendor.dovecot/coi"
#define COI_ATTR_PREFIX COI_ATTR_ROOT"/"
#define COI_ATTR_ENABLED COI_ATTR_PREFIX"config/enabled"
#define COI_ATTR_MESSAGE_FILTER COI_ATTR_PREFIX"config/message-filter"
#define COI_ATTR_MAILBOX_ROOT COI_ATTR_PREFIX"config/mailbox-root"
/* Set when the user removed C/enabled, so that the admin default of
   enabled no longer applies. Below pvt/server/pvt/: no IMAP command can
   read or write it. */
#define COI_ATTR_ENABLED_REMOVED \
	COI_ATTR_SERVER_PREFIX"vendor/vendor.dovecot/pvt/coi/enabled-removed"

/* Longest value a COI configuration entry may have. Longer values are
   refused without being read into memory as a whole. */
#define COI_CONFIG_VALUE_MAX_SIZE 1024

/* Value of C/enabled that enables COI. Any other stored value disables. */
#define COI_CONFIG_ENABLED_YES "yes"

enum coi_config_entry {
	COI_CONFIG_ENTRY_UNKNOWN = 0,
	COI_CONFIG_ENTRY_ENABLED,
	COI_CONFIG_ENTRY_MESSAGE_FILTER,
	COI_CONFIG_ENTRY_MAILBOX_ROOT,
};

/* Names of the entries below COI_ATTR_PREFIX ("config/enabled", ...), in
   sorted order, NULL-terminated. */
extern const char *const coi_config_entry_subkeys[];

/* Which entry an attribute key below COI_ATTR_PREFIX names (the part after
   the prefix, e.g. "config/enabled"). Compared exactly: Dovecot lowercases
   METADATA entry names before they become keys. */
enum coi_config_entry coi_config_entry_from_subkey(const char *subkey);

/* Checks a value for C/enabled (data may hold any octets, NULs too).
   Only "yes" (lower case) is accepted. On failure error_r is the exact
   CS-09 text: invalid value for <entry>: "VALUE". */
bool coi_config_enabled_value_check(const unsigned char *data, size_t size,
				    const char **error_r);
/* Checks a value for C/message-filter ("none", "active", "seen", lower
   case only). On failure error_r is the exact CS-16 text (the value is not
   quoted there): invalid value for <entry>: VALUE. */
bool coi_config_message_filter_value_check(const unsigned char *data,
					   size_t size,
					   enum coi_message_filter *filter_r,
					   const char **error_r);
/* Checks the form of a user's C/mailbox-root value: 1..255 octets of
   valid UTF-8 without control characters. (Whether the storage accepts
   the name is checked elsewhere.) On failure error_r is
   invalid value for <entry>: "VALUE". */
bool coi_config_mailbox_root_value_check(const unsigned char *data,
					 size_t size, const char **error_r);

/* The value as it is shown in error texts and logs: control characters,
   NULs and invalid UTF-8 become '?', and values longer than 64 octets are
   cut with "...". Never contains CR or LF. */
const char *coi_config_value_printable(const unsigned char *data,
				       size_t size);

#endif
