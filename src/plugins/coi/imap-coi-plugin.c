/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "imap-common.h"
#include "str.h"
#include "module-dir.h"
#include "mail-user.h"
#include "mail-storage-service.h"
#include "mail-storage-settings.h"
#include "imap-client.h"
#include "coi-plugin.h"
#include "imap-coi-plugin.h"

#define PUSH_COI_PLUGIN_NAME "push_coi"
/* bool push_coi_webpush_available(struct mail_user *user), looked up by
   name so that imap_coi has no link-time dependency on push_coi. */
#define PUSH_COI_AVAILABLE_SYMBOL "push_coi_webpush_available"

typedef bool push_coi_webpush_available_func_t(struct mail_user *user);

const char *imap_coi_plugin_version = DOVECOT_ABI_VERSION;
const char *imap_coi_plugin_dependencies[] = { COI_PLUGIN_NAME, NULL };
const char imap_coi_plugin_binary_dependency[] = "imap";

static struct module *imap_coi_module;
static imap_client_created_func_t *next_hook_client_created;

/* WEBPUSH is announced when push_coi is loaded for the user and has
   WebPush configured (a VAPID key loaded, valid settings). */
static bool imap_coi_webpush_available(struct mail_user *user)
{
	struct module *push_module;
	push_coi_webpush_available_func_t *available;

	push_module = module_dir_find(mail_storage_service_modules,
				      PUSH_COI_PLUGIN_NAME);
	if (push_module == NULL ||
	    !mail_user_is_plugin_loaded(user, push_module))
		return FALSE;
	available = module_get_symbol_quiet(push_module,
					    PUSH_COI_AVAILABLE_SYMBOL);
	return available != NULL && available(user);
}

/* COI clients need METADATA (CS-02, CS-03). The COI entries are internal
   attributes that Dovecot lets through even with imap_metadata = no (they
   are VALIDATED), so the capability is announced whenever attributes can
   be stored at all. */
static void imap_coi_add_metadata(struct client *client)
{
	const struct mail_storage_settings *mail_set =
		mail_user_set_get_storage_set(client->user);
	const char *const *caps;

	if (*mail_set->mail_attribute_dict == '\0')
		return;
	caps = t_strsplit_spaces(str_c(client->capability_string), " ");
	if (!str_array_icase_find(caps, "METADATA"))
		client_add_capability(client, "METADATA");
}

static void imap_coi_client_created(struct client **clientp)
{
	struct client *client = *clientp;

	if (mail_user_is_plugin_loaded(client->user, imap_coi_module) &&
	    coi_user_is_enabled(client->user)) {
		str_append(client->capability_string, " COI");
		imap_coi_add_metadata(client);
		if (imap_coi_webpush_available(client->user))
			str_append(client->capability_string, " WEBPUSH");
	}

	if (next_hook_client_created != NULL)
		next_hook_client_created(clientp);
}

void imap_coi_plugin_init(struct module *module)
{
	imap_coi_module = module;
	next_hook_client_created =
		imap_client_created_hook_set(imap_coi_client_created);
}

void imap_coi_plugin_deinit(void)
{
	imap_client_created_hook_set(next_hook_client_created);
}
