#ifndef COI_PLUGIN_H
#define COI_PLUGIN_H

#include "module-context.h"
#include "mail-user.h"

/* Plugin "coi": the COI (Chat Over IMAP) server side of Dovecot. Loaded as a
   mail plugin in imap, lmtp and lda. It owns chat detection at delivery, the
   $Chat keyword, filing into <root>/Chats, the COI METADATA keys and the
   folder rules. The file is named lib95_coi_plugin.so so that it is
   initialized after Sieve (lib90): the deliver_mail hook that is set last
   runs first, so COI's filing decision is made before the user's Sieve
   script runs. */

#define COI_PLUGIN_NAME "coi"

#define COI_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, coi_user_module)
#define COI_USER_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, coi_user_module)

struct coi_user {
	union mail_user_module_context module_ctx;

	/* Event with the "coi" category; parent of every log line of the
	   plugin for this user. */
	struct event *event;
};

extern MODULE_CONTEXT_DEFINE(coi_user_module, &mail_user_module_register);

/* Category "coi" of every event the plugin creates. */
extern struct event_category event_category_coi;

/* Returns TRUE when the coi plugin is active for this user. */
bool coi_user_is_enabled(struct mail_user *user);

extern const char *coi_plugin_version;
extern const char *coi_plugin_dependencies[];

void coi_plugin_init(struct module *module);
void coi_plugin_deinit(void);

#endif
