/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "mail-user.h"
#include "mail-namespace.h"
#include "mail-storage-private.h"
#include "coi-plugin.h"
#include "coi-config-value.h"
#include "coi-config.h"

#define COI_SETTING_MAILBOX_ROOT "coi_mailbox_root"
#define COI_SETTING_MAILBOX_ROOT_PER_USER "coi_mailbox_root_per_user"
#define COI_SETTING_DEFAULT_ENABLED "coi_default_enabled"
#define COI_SETTING_DEFAULT_MESSAGE_FILTER "coi_default_message_filter"

#define COI_DEFAULT_MAILBOX_ROOT "COI"
#define COI_CHATS_NAME "Chats"
#define COI_CONTACTS_NAME "Contacts"

static const char *coi_config_reason = NULL;

struct event *coi_config_event(struct mail_user *user)
{
	struct coi_user *cuser = COI_USER_CONTEXT(user);

	return cuser != NULL ? cuser->event : user->event;
}

static bool
coi_settings_get_bool(struct mail_user *user, const char *name, bool def)
{
	const char *value = mail_user_plugin_getenv(user, name);

	if (value == NULL || value[0] == '\0')
		return def;
	if (strcasecmp(value, "yes") == 0)
		return TRUE;
	if (strcasecmp(value, "no") == 0)
		return FALSE;
	e_error(coi_config_event(user), "Invalid setting %s=%s: "
		"must be yes or no (using %s)", name, value,
		def ? "yes" : "no");
	return def;
}

void coi_settings_read(struct mail_user *user, struct coi_settings *set_r)
{
	const char *value, *error;

	i_zero(set_r);
	value = mail_user_plugin_getenv(user, COI_SETTING_MAILBOX_ROOT);
	if (value == NULL || value[0] == '\0')
		value = COI_DEFAULT_MAILBOX_ROOT;
	else if (!coi_config_mailbox_root_value_check(
			(const unsigned char *)value, strlen(value), &error)) {
		e_error(coi_config_event(user), "Invalid setting %s: %s "
			"(using %s)", COI_SETTING_MAILBOX_ROOT, error,
			COI_DEFAULT_MAILBOX_ROOT);
		value = COI_DEFAULT_MAILBOX_ROOT;
	}
	set_r->mailbox_root = value;

	set_r->mailbox_root_per_user =
		coi_settings_get_bool(user, COI_SETTING_MAILBOX_ROOT_PER_USER,
				      FALSE);
	set_r->default_enabled =
		coi_settings_get_bool(user, COI_SETTING_DEFAULT_ENABLED, FALSE);

	value = mail_user_plugin_getenv(user,
					COI_SETTING_DEFAULT_MESSAGE_FILTER);
	if (value != NULL && value[0] != '\0' &&
	    !coi_message_filter_parse(value,
				      &set_r->default_message_filter)) {
		e_error(coi_config_event(user), "Invalid setting %s=%s: "
			"must be none, active or seen (using none)",
			COI_SETTING_DEFAULT_MESSAGE_FILTER, value);
		set_r->default_message_filter = COI_MESSAGE_FILTER_NONE;
	}
}

static int
coi_config_get_stored_key(struct mailbox *inbox, const char *key,
			  const char **value_r, const char **error_r)
{
	struct mail_attribute_value value;
	enum mail_error error;
	int ret;

	/* Read the storage itself, past the internal attribute that gives
	   the admin defaults. */
	i_zero(&value);
	ret = inbox->v.attribute_get(inbox, MAIL_ATTRIBUTE_TYPE_PRIVATE,
				     key, &value);
	if (ret < 0) {
		const char *errstr =
			mailbox_get_last_internal_error(inbox, &error);
		if (error == MAIL_ERROR_NOTPOSSIBLE) {
			/* no mail_attribute_dict: nothing can be stored */
			*value_r = NULL;
			return 0;
		}
		*error_r = t_strdup_printf("Failed to read attribute %s: %s",
					   key, errstr);
		return -1;
	}
	*value_r = ret == 0 ? NULL : t_strdup(value.value);
	return 0;
}

int coi_config_read_stored(struct mailbox *inbox,
			   struct coi_config_stored *stored_r,
			   const char **error_r)
{
	const char *removed;

	i_zero(stored_r);
	if (coi_config_get_stored_key(inbox, COI_ATTR_ENABLED,
				      &stored_r->enabled, error_r) < 0 ||
	    coi_config_get_stored_key(inbox, COI_ATTR_MESSAGE_FILTER,
				      &stored_r->message_filter, error_r) < 0 ||
	    coi_config_get_stored_key(inbox, COI_ATTR_MAILBOX_ROOT,
				      &stored_r->mailbox_root, error_r) < 0 ||
	    coi_config_get_stored_key(inbox, COI_ATTR_ENABLED_REMOVED,
				      &removed, error_r) < 0)
		return -1;
	stored_r->enabled_removed = removed != NULL;
	return 0;
}

/* The INBOX namespace, or NULL before the namespaces exist. */
static struct mail_namespace *coi_config_inbox_ns(struct mail_user *user)
{
	if (user->namespaces == NULL)
		return NULL;
	return mail_namespace_find_inbox(user->namespaces);
}

const char *coi_config_default_root(struct mail_user *user,
				    const struct coi_settings *set)
{
	struct mail_namespace *ns = coi_config_inbox_ns(user);

	return t_strconcat(ns == NULL ? "" : ns->prefix, set->mailbox_root,
			   NULL);
}

/* TRUE when the stored values (or the admin default) enable COI. */
static bool coi_config_stored_enabled(const struct coi_settings *set,
				      const struct coi_config_stored *stored)
{
	if (stored->enabled != NULL)
		return strcmp(stored->enabled, COI_CONFIG_ENABLED_YES) == 0;
	return set->default_enabled && !stored->enabled_removed;
}

void coi_config_from_stored(struct mail_user *user,
			    const struct coi_settings *set,
			    const struct coi_config_stored *stored,
			    struct coi_config *config_r)
{
	struct mail_namespace *ns = coi_config_inbox_ns(user);
	enum coi_message_filter filter = set->default_message_filter;
	char sep = ns == NULL ? '/' : mail_namespace_get_sep(ns);

	i_zero(config_r);
	config_r->enabled = coi_config_stored_enabled(set, stored);

	if (stored->message_filter != NULL &&
	    !coi_message_filter_parse(stored->message_filter, &filter)) {
		/* only doveadm could have stored this */
		e_debug(coi_config_event(user),
			"Ignoring invalid stored message-filter value");
		filter = COI_MESSAGE_FILTER_NONE;
	}
	config_r->message_filter = config_r->enabled ? filter :
		COI_MESSAGE_FILTER_NONE;

	if (set->mailbox_root_per_user && stored->mailbox_root != NULL)
		config_r->mailbox_root = stored->mailbox_root;
	else
		config_r->mailbox_root = coi_config_default_root(user, set);
	config_r->chats_mailbox = t_strdup_printf("%s%c%s",
		config_r->mailbox_root, sep, COI_CHATS_NAME);
	config_r->contacts_mailbox = t_strdup_printf("%s%c%s",
		config_r->mailbox_root, sep, COI_CONTACTS_NAME);
}

static struct mailbox *coi_config_inbox_alloc(struct mail_user *user)
{
	struct mail_namespace *ns = coi_config_inbox_ns(user);

	if (ns == NULL)
		return NULL;
	/* server metadata does not depend on INBOX's ACLs */
	return mailbox_alloc(ns->list, "INBOX", MAILBOX_FLAG_IGNORE_ACLS |
			     MAILBOX_FLAG_ATTRIBUTE_SESSION);
}

/* Reads the stored values that decide the configuration under set: the
   others stay NULL (each read is a dictionary lookup, e.g. a round trip
   to a dict server). */
static int
coi_config_read_stored_used(struct mailbox *inbox,
			    const struct coi_settings *set,
			    struct coi_config_stored *stored_r,
			    const char **error_r)
{
	const char *removed = NULL;

	i_zero(stored_r);
	if (coi_config_get_stored_key(inbox, COI_ATTR_ENABLED,
				      &stored_r->enabled, error_r) < 0)
		return -1;
	/* the removal marker only matters for the admin default */
	if (stored_r->enabled == NULL && set->default_enabled &&
	    coi_config_get_stored_key(inbox, COI_ATTR_ENABLED_REMOVED,
				      &removed, error_r) < 0)
		return -1;
	stored_r->enabled_removed = removed != NULL;
	/* message-filter is NONE while disabled */
	if (coi_config_stored_enabled(set, stored_r) &&
	    coi_config_get_stored_key(inbox, COI_ATTR_MESSAGE_FILTER,
				      &stored_r->message_filter, error_r) < 0)
		return -1;
	if (set->mailbox_root_per_user &&
	    coi_config_get_stored_key(inbox, COI_ATTR_MAILBOX_ROOT,
				      &stored_r->mailbox_root, error_r) < 0)
		return -1;
	return 0;
}

int coi_config_read(struct mail_user *user, struct coi_config *config_r,
		    const char **error_r)
{
	struct coi_settings set;
	struct coi_config_stored stored;
	struct mailbox *inbox;
	int ret;

	i_zero(config_r);
	inbox = coi_config_inbox_alloc(user);
	if (inbox == NULL) {
		*error_r = "The user's namespaces are not initialized";
		return -1;
	}
	coi_settings_read(user, &set);
	ret = coi_config_read_stored_used(inbox, &set, &stored, error_r);
	mailbox_free(&inbox);
	if (ret < 0)
		return -1;
	coi_config_from_stored(user, &set, &stored, config_r);
	return 0;
}

const char *coi_config_change_reason(void)
{
	return coi_config_reason;
}

static int
coi_config_set_attr(struct mail_user *user, const char *key,
		    const char *metadata_name, const char *value,
		    const char *reason, const char **error_r)
{
	struct mailbox *inbox;
	struct mailbox_transaction_context *t;
	struct mail_attribute_value attr_value;
	const char *old_reason = coi_config_reason;
	int ret;

	inbox = coi_config_inbox_alloc(user);
	if (inbox == NULL) {
		*error_r = "The user's namespaces are not initialized";
		return -1;
	}
	if (mailbox_open(inbox) < 0) {
		*error_r = t_strdup_printf("Failed to open INBOX: %s",
			mailbox_get_last_internal_error(inbox, NULL));
		mailbox_free(&inbox);
		return -1;
	}

	coi_config_reason = reason;
	i_zero(&attr_value);
	attr_value.value = value;
	t = mailbox_transaction_begin(inbox, MAILBOX_TRANSACTION_FLAG_EXTERNAL,
				      __func__);
	ret = mailbox_attribute_set(t, MAIL_ATTRIBUTE_TYPE_PRIVATE,
				    key, &attr_value);
	if (ret < 0) {
		*error_r = t_strdup_printf("Failed to set %s: %s",
			metadata_name,
			mailbox_get_last_internal_error(inbox, NULL));
		mailbox_transaction_rollback(&t);
	} else if ((ret = mailbox_transaction_commit(&t)) < 0) {
		*error_r = t_strdup_printf("Failed to set %s: %s",
			metadata_name,
			mailbox_get_last_internal_error(inbox, NULL));
	}
	coi_config_reason = old_reason;
	mailbox_free(&inbox);
	return ret;
}

int coi_config_set_enabled(struct mail_user *user, bool enabled,
			   const char *reason, const char **error_r)
{
	return coi_config_set_attr(user, COI_ATTR_ENABLED,
				   COI_METADATA_ENABLED,
				   enabled ? COI_CONFIG_ENABLED_YES : NULL,
				   reason, error_r);
}

int coi_config_set_message_filter(struct mail_user *user,
				  enum coi_message_filter filter,
				  const char *reason, const char **error_r)
{
	return coi_config_set_attr(user, COI_ATTR_MESSAGE_FILTER,
				   COI_METADATA_MESSAGE_FILTER,
				   coi_message_filter_to_str(filter),
				   reason, error_r);
}
