/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "buffer.h"
#include "istream.h"
#include "mail-user.h"
#include "mail-namespace.h"
#include "mail-storage-private.h"
#include "mailbox-attribute.h"
#include "coi-attr-iter.h"
#include "coi-mailbox.h"
#include "coi-plugin.h"
#include "coi-config.h"
#include "coi-config-value.h"
#include "coi-folders.h"
#include "coi-attributes.h"

/* Values set earlier in the same transaction (one SETMETADATA with
   several entries): the stored values do not show them until the commit,
   but the folders of "enabled" or "message-filter" belong under a root set
   in the same command, and a root set after "enabled" must carry the
   folders along. */
struct coi_attr_pending {
	union mailbox_transaction_module_context module_ctx;

	bool enabled_set, message_filter_set, mailbox_root_set;
	const char *enabled, *message_filter, *mailbox_root;
};

static MODULE_CONTEXT_DEFINE_INIT(coi_attr_storage_module,
				  &mail_storage_module_register);

/* A value of a COI entry, as octets, or NIL. */
struct coi_attr_value {
	const unsigned char *data;
	size_t size;
	bool nil;
};

static const char *coi_attr_subkey(const char *key)
{
	i_assert(str_begins(key, COI_ATTR_PREFIX));
	return key + strlen(COI_ATTR_PREFIX);
}

static int
coi_attr_value_read(struct mailbox *box,
		    const struct mail_attribute_value *value,
		    struct coi_attr_value *value_r)
{
	struct istream *input = value->value_stream;
	const unsigned char *data;
	buffer_t *buf;
	size_t size;
	int ret;

	i_zero(value_r);
	if (value->value != NULL) {
		value_r->data = (const unsigned char *)value->value;
		value_r->size = strlen(value->value);
		return 0;
	}
	if (input == NULL) {
		value_r->nil = TRUE;
		return 0;
	}

	/* Read at most one octet more than any valid value has: longer
	   values are refused without reading them into memory. */
	buf = t_buffer_create(64);
	i_stream_seek(input, 0);
	while (buf->used <= COI_CONFIG_VALUE_MAX_SIZE &&
	       (ret = i_stream_read_more(input, &data, &size)) > 0) {
		size_t room = COI_CONFIG_VALUE_MAX_SIZE + 1 - buf->used;

		buffer_append(buf, data, I_MIN(size, room));
		i_stream_skip(input, size);
	}
	if (input->stream_errno != 0) {
		mail_storage_set_critical(box->storage,
			"COI: read(%s) failed: %s", i_stream_get_name(input),
			i_stream_get_error(input));
		return -1;
	}
	/* the storage reads the value again after the check */
	i_stream_seek(input, 0);
	value_r->data = buf->data;
	value_r->size = buf->used;
	return 0;
}

/* Refuses to set anything: the entries below coi/ that the spec does
   not define (CS-03). type_prefix is "/private" or "/shared". */
static int
coi_attr_refuse(struct mailbox_transaction_context *t, const char *key,
		const char *type_prefix)
{
	const char *name = key + strlen(COI_ATTR_SERVER_PREFIX);

	if (COI_USER_CONTEXT(t->box->storage->user) == NULL)
		return 0;
	mail_storage_set_error(t->box->storage, MAIL_ERROR_NOTPOSSIBLE,
		t_strdup_printf("%s/%s is not a COI configuration entry",
			type_prefix, coi_config_value_printable(
				(const void *)name, strlen(name))));
	return -1;
}

static int
coi_attr_refuse_private(struct mailbox_transaction_context *t,
			const char *key,
			const struct mail_attribute_value *value ATTR_UNUSED)
{
	return coi_attr_refuse(t, key, "/private");
}

static int
coi_attr_refuse_shared(struct mailbox_transaction_context *t,
		       const char *key,
		       const struct mail_attribute_value *value ATTR_UNUSED)
{
	return coi_attr_refuse(t, key, "/shared");
}

/* Fails like the storage would when no attribute dictionary is
   configured, before any folder is created for a value that could not be
   stored. */
static bool coi_attr_can_store(struct mailbox *box)
{
	if (box->storage->set->mail_attribute_dict[0] != '\0')
		return TRUE;
	mail_storage_set_error(box->storage, MAIL_ERROR_NOTPOSSIBLE,
			       "Mailbox attributes not enabled");
	return FALSE;
}

/* Reports a failure to create the COI folders to the client (without
   internal details) and the log (with them). */
static int
coi_attr_folders_failed(struct mailbox *box, const char *error)
{
	e_error(coi_config_event(box->storage->user), "%s", error);
	mail_storage_set_error(box->storage, MAIL_ERROR_TEMP,
			       "Failed to create the COI folders");
	return -1;
}

static int
coi_attr_set_enabled(struct mailbox_transaction_context *t,
		     const struct coi_settings *set,
		     const struct coi_config_stored *stored,
		     const struct coi_attr_value *value)
{
	struct mailbox *box = t->box;
	struct mail_user *user = box->storage->user;
	struct mail_attribute_value marker;
	struct coi_config config;
	const char *error, *reason;

	if (!value->nil &&
	    !coi_config_enabled_value_check(value->data, value->size, &error)) {
		mail_storage_set_error(box->storage, MAIL_ERROR_PARAMS, error);
		return -1;
	}
	if (!coi_attr_can_store(box))
		return -1;

	coi_config_from_stored(user, set, stored, &config);
	if (!value->nil &&
	    coi_folders_ensure_all(user, &config, &error) < 0)
		return coi_attr_folders_failed(box, error);

	/* Remember that the user removed the value, so the admin default
	   does not enable COI again. */
	i_zero(&marker);
	if (value->nil)
		marker.value = COI_CONFIG_ENABLED_YES;
	if (mailbox_attribute_set(t, MAIL_ATTRIBUTE_TYPE_PRIVATE,
				  COI_ATTR_ENABLED_REMOVED, &marker) < 0)
		return -1;

	if (config.enabled == value->nil) {
		reason = coi_config_change_reason();
		e_info(coi_config_event(user), "COI %s (%s)",
		       value->nil ? "disabled" : "enabled",
		       reason != NULL ? reason : "METADATA");
	}
	return 0;
}

static int
coi_attr_set_message_filter(struct mailbox_transaction_context *t,
			    const struct coi_settings *set,
			    const struct coi_config_stored *stored,
			    const struct coi_attr_value *value)
{
	struct mailbox *box = t->box;
	struct mail_user *user = box->storage->user;
	enum coi_message_filter filter;
	struct coi_config config;
	const char *error;

	if (value->nil)
		return 0;
	if (!coi_config_message_filter_value_check(value->data, value->size,
						   &filter, &error)) {
		mail_storage_set_error(box->storage, MAIL_ERROR_PARAMS, error);
		return -1;
	}
	if (filter == COI_MESSAGE_FILTER_NONE)
		return 0;
	if (!coi_attr_can_store(box))
		return -1;

	/* CS-16: with active or seen, Chats exists */
	coi_config_from_stored(user, set, stored, &config);
	if (coi_folders_ensure_chats(user, &config, &error) < 0)
		return coi_attr_folders_failed(box, error);
	return 0;
}

/* Returns TRUE when the storage can hold the mailbox: a valid name to
   create, and no component of its path longer than the file system
   allows (a name the verification accepts can still be too long for
   Maildir's one-directory-per-mailbox layout). */
static bool coi_attr_folder_name_valid(struct mailbox *box, const char **error_r)
{
	const char *path, *p, *slash;
	size_t len;

	if (mailbox_verify_create_name(box) < 0) {
		*error_r = mailbox_get_last_error(box, NULL);
		return FALSE;
	}
	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_MAILBOX,
				&path) <= 0)
		return TRUE;
	for (p = path;; p = slash + 1) {
		slash = strchr(p, '/');
		len = slash == NULL ? strlen(p) : (size_t)(slash - p);
		if (len > NAME_MAX) {
			*error_r = t_strdup_printf(
				"%s is too long for the mail storage",
				mailbox_get_vname(box));
			return FALSE;
		}
		if (slash == NULL)
			return TRUE;
	}
}

static bool
coi_attr_mailbox_root_valid(struct mail_user *user, const char *root,
			    const char **error_r)
{
	static const char *const children[] = { "Chats", "Contacts" };
	struct mail_namespace *inbox_ns =
		mail_namespace_find_inbox(user->namespaces);
	struct mailbox *box;
	bool valid = TRUE;

	if (inbox_ns == NULL ||
	    mail_namespace_find(user->namespaces, root) != inbox_ns) {
		*error_r = "not in the INBOX namespace";
		return FALSE;
	}
	for (unsigned int i = 0; valid && i < N_ELEMENTS(children); i++) {
		box = mailbox_alloc(inbox_ns->list, t_strdup_printf("%s%c%s",
				root, mail_namespace_get_sep(inbox_ns),
				children[i]), 0);
		valid = coi_attr_folder_name_valid(box, error_r);
		mailbox_free(&box);
	}
	return valid;
}

static int
coi_attr_set_mailbox_root(struct mailbox_transaction_context *t,
			  const struct coi_settings *set,
			  const struct coi_config_stored *stored,
			  const struct coi_attr_value *value)
{
	struct mailbox *box = t->box;
	struct mail_user *user = box->storage->user;
	struct coi_config_stored new_stored;
	struct coi_config config;
	const char *root, *error, *reason;

	if (value->nil) {
		/* removing a value is always safe: the admin's root
		   applies */
		return 0;
	}
	if (!set->mailbox_root_per_user) {
		mail_storage_set_error(box->storage, MAIL_ERROR_NOTPOSSIBLE,
			"unable to set "COI_METADATA_MAILBOX_ROOT);
		return -1;
	}
	if (!coi_config_mailbox_root_value_check(value->data, value->size,
						 &error)) {
		mail_storage_set_error(box->storage, MAIL_ERROR_PARAMS, error);
		return -1;
	}
	root = t_strndup(value->data, value->size);
	if (!coi_attr_mailbox_root_valid(user, root, &reason)) {
		e_debug(coi_config_event(user), "Refusing mailbox-root %s: %s",
			coi_config_value_printable(value->data, value->size),
			reason);
		mail_storage_set_error(box->storage, MAIL_ERROR_PARAMS,
			t_strdup_printf("invalid value for %s: \"%s\"",
				COI_METADATA_MAILBOX_ROOT,
				coi_config_value_printable(value->data,
							   value->size)));
		return -1;
	}

	if (!coi_attr_can_store(box))
		return -1;

	/* An enabled COI keeps its folders under the new root. */
	new_stored = *stored;
	new_stored.mailbox_root = root;
	coi_config_from_stored(user, set, &new_stored, &config);
	if (config.enabled &&
	    coi_folders_ensure_all(user, &config, &error) < 0)
		return coi_attr_folders_failed(box, error);
	return 0;
}

static void
coi_attr_pending_apply(struct mailbox_transaction_context *t,
		       struct coi_config_stored *stored)
{
	struct coi_attr_pending *pending =
		MODULE_CONTEXT(t, coi_attr_storage_module);

	if (pending == NULL)
		return;
	if (pending->enabled_set) {
		stored->enabled = pending->enabled;
		if (pending->enabled == NULL)
			stored->enabled_removed = TRUE;
	}
	if (pending->message_filter_set)
		stored->message_filter = pending->message_filter;
	if (pending->mailbox_root_set)
		stored->mailbox_root = pending->mailbox_root;
}

static void
coi_attr_pending_record(struct mailbox_transaction_context *t,
			enum coi_config_entry entry,
			const struct coi_attr_value *value)
{
	struct coi_attr_pending *pending =
		MODULE_CONTEXT(t, coi_attr_storage_module);
	pool_t pool = t->box->pool;
	const char *str = value->nil ? NULL :
		p_strndup(pool, value->data, value->size);

	if (pending == NULL) {
		/* freed with the mailbox, like the transaction's owner */
		pending = p_new(pool, struct coi_attr_pending, 1);
		MODULE_CONTEXT_SET(t, coi_attr_storage_module, pending);
	}
	switch (entry) {
	case COI_CONFIG_ENTRY_ENABLED:
		pending->enabled_set = TRUE;
		pending->enabled = str;
		break;
	case COI_CONFIG_ENTRY_MESSAGE_FILTER:
		pending->message_filter_set = TRUE;
		pending->message_filter = str;
		break;
	case COI_CONFIG_ENTRY_MAILBOX_ROOT:
		pending->mailbox_root_set = TRUE;
		pending->mailbox_root = str;
		break;
	case COI_CONFIG_ENTRY_UNKNOWN:
		i_unreached();
	}
}

static int
coi_attr_set(struct mailbox_transaction_context *t, const char *key,
	     const struct mail_attribute_value *value)
{
	struct mailbox *box = t->box;
	struct mail_user *user = box->storage->user;
	const char *subkey = coi_attr_subkey(key);
	enum coi_config_entry entry = coi_config_entry_from_subkey(subkey);
	struct coi_attr_value val;
	struct coi_settings set;
	struct coi_config_stored stored;
	const char *error;
	int ret;

	if (COI_USER_CONTEXT(user) == NULL) {
		/* coi is not loaded for this user: plain METADATA */
		return 0;
	}
	if (entry == COI_CONFIG_ENTRY_UNKNOWN) {
		/* CS-03: no entries below coi/ that the spec does not
		   define */
		return coi_attr_refuse(t, key, "/private");
	}
	if (coi_attr_value_read(box, value, &val) < 0)
		return -1;
	if (coi_config_read_stored(box, &stored, &error) < 0) {
		mail_storage_set_critical(box->storage, "COI: %s", error);
		return -1;
	}
	coi_settings_read(user, &set);
	coi_attr_pending_apply(t, &stored);

	switch (entry) {
	case COI_CONFIG_ENTRY_ENABLED:
		ret = coi_attr_set_enabled(t, &set, &stored, &val);
		break;
	case COI_CONFIG_ENTRY_MESSAGE_FILTER:
		ret = coi_attr_set_message_filter(t, &set, &stored, &val);
		break;
	case COI_CONFIG_ENTRY_MAILBOX_ROOT:
		ret = coi_attr_set_mailbox_root(t, &set, &stored, &val);
		break;
	case COI_CONFIG_ENTRY_UNKNOWN:
	default:
		i_unreached();
	}
	if (ret == 0)
		coi_attr_pending_record(t, entry, &val);
	return ret;
}

static int
coi_attr_get(struct mailbox *box, const char *key,
	     struct mail_attribute_value *value_r)
{
	struct mail_user *user = box->storage->user;
	enum coi_config_entry entry =
		coi_config_entry_from_subkey(coi_attr_subkey(key));
	struct coi_settings set;
	struct coi_config_stored stored;
	const char *error;

	if (COI_USER_CONTEXT(user) == NULL ||
	    entry == COI_CONFIG_ENTRY_UNKNOWN)
		return 0;
	if (coi_config_read_stored(box, &stored, &error) < 0) {
		mail_storage_set_critical(box->storage, "COI: %s", error);
		return -1;
	}
	coi_settings_read(user, &set);

	/* Returning 0 lets Dovecot read the value the user stored; the
	   others are defaults. */
	switch (entry) {
	case COI_CONFIG_ENTRY_ENABLED:
		if (stored.enabled != NULL || stored.enabled_removed ||
		    !set.default_enabled)
			return 0;
		value_r->value = COI_CONFIG_ENABLED_YES;
		return 1;
	case COI_CONFIG_ENTRY_MESSAGE_FILTER:
		if (stored.message_filter != NULL)
			return 0;
		value_r->value =
			coi_message_filter_to_str(set.default_message_filter);
		return 1;
	case COI_CONFIG_ENTRY_MAILBOX_ROOT:
		if (stored.mailbox_root != NULL && set.mailbox_root_per_user)
			return 0;
		value_r->value = coi_config_default_root(user, &set);
		return 1;
	case COI_CONFIG_ENTRY_UNKNOWN:
		break;
	}
	i_unreached();
}

static int
coi_attr_iter(struct mailbox *box, const char *key_prefix, pool_t pool,
	      ARRAY_TYPE(const_string) *keys)
{
	size_t len = strlen(key_prefix);
	const char *name;
	unsigned int i;

	if (COI_USER_CONTEXT(box->storage->user) == NULL)
		return 0;
	/* Names are relative to key_prefix (itself relative to
	   COI_ATTR_PREFIX). */
	for (i = 0; coi_config_entry_subkeys[i] != NULL; i++) {
		const char *subkey = coi_config_entry_subkeys[i];

		if (len == 0)
			name = p_strdup(pool, subkey);
		else if (strncmp(subkey, key_prefix, len) == 0 &&
			 subkey[len] == '/')
			name = p_strdup(pool, subkey + len + 1);
		else
			continue;
		array_push_back(keys, &name);
	}
	return 0;
}

static const struct mailbox_attribute_internal coi_iattr_private = {
	.type = MAIL_ATTRIBUTE_TYPE_PRIVATE,
	.key = COI_ATTR_PREFIX,
	.rank = MAIL_ATTRIBUTE_INTERNAL_RANK_OVERRIDE,
	.flags = MAIL_ATTRIBUTE_INTERNAL_FLAG_CHILDREN |
		MAIL_ATTRIBUTE_INTERNAL_FLAG_VALIDATED,
	.get = coi_attr_get,
	.set = coi_attr_set,
	.iter = coi_attr_iter,
};

/* /private/vendor/vendor.dovecot/coi itself has no value. */
static const struct mailbox_attribute_internal coi_iattr_private_root = {
	.type = MAIL_ATTRIBUTE_TYPE_PRIVATE,
	.key = COI_ATTR_ROOT,
	.rank = MAIL_ATTRIBUTE_INTERNAL_RANK_OVERRIDE,
	.set = coi_attr_refuse_private,
};

/* The COI configuration is private; nothing below
   /shared/vendor/vendor.dovecot/coi/ is defined. */
static const struct mailbox_attribute_internal coi_iattr_shared = {
	.type = MAIL_ATTRIBUTE_TYPE_SHARED,
	.key = COI_ATTR_PREFIX,
	.rank = MAIL_ATTRIBUTE_INTERNAL_RANK_OVERRIDE,
	.flags = MAIL_ATTRIBUTE_INTERNAL_FLAG_CHILDREN,
	.set = coi_attr_refuse_shared,
};

/* The COI keys stored below COI_ATTR_PREFIX are the fixed ones that
   coi_attr_iter() lists, so an iteration there does not ask the attribute
   dict (coi-attr-iter.h): GETMETADATA DEPTH on the COI entries (CS-08)
   works on Dovecot's Redis dict, which cannot iterate. */
static struct mailbox_attribute_iter *
coi_attr_iter_init(struct mailbox *box, enum mail_attribute_type type_flags,
		   const char *prefix)
{
	return coi_attr_iter_skip_dict_init(coi_mailbox_super(box), box,
					    type_flags, prefix,
					    COI_ATTR_PREFIX);
}

static const char *coi_attr_iter_next(struct mailbox_attribute_iter *iter)
{
	return coi_attr_iter_skip_dict_next(coi_mailbox_super(iter->box),
					    iter);
}

static int coi_attr_iter_deinit(struct mailbox_attribute_iter *iter)
{
	return coi_attr_iter_skip_dict_deinit(coi_mailbox_super(iter->box),
					      iter);
}

void coi_attributes_mailbox_allocated(struct mailbox *box)
{
	struct mailbox_vfuncs *v;

	if (!coi_attr_box_has_metadata_access(box))
		return;
	v = coi_mailbox_vfuncs(box);
	COI_MAILBOX_OVERRIDE(box, v, attribute_iter_init, coi_attr_iter_init);
	COI_MAILBOX_OVERRIDE(box, v, attribute_iter_next, coi_attr_iter_next);
	COI_MAILBOX_OVERRIDE(box, v, attribute_iter_deinit,
			     coi_attr_iter_deinit);
}

void coi_attributes_init(void)
{
	mailbox_attribute_register_internal(&coi_iattr_private);
	mailbox_attribute_register_internal(&coi_iattr_private_root);
	mailbox_attribute_register_internal(&coi_iattr_shared);
}

void coi_attributes_deinit(void)
{
	mailbox_attribute_unregister_internal(&coi_iattr_shared);
	mailbox_attribute_unregister_internal(&coi_iattr_private_root);
	mailbox_attribute_unregister_internal(&coi_iattr_private);
}
