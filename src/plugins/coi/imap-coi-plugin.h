#ifndef IMAP_COI_PLUGIN_H
#define IMAP_COI_PLUGIN_H

/* Plugin "imap_coi": the IMAP side of COI. It announces the COI capability
   after login (never before: imap-login loads no plugins), and WEBPUSH too
   when the push_coi plugin is loaded for the user and has WebPush
   configured (push_coi exports push_coi_webpush_available(), looked up by
   name). Requires the "coi" plugin. */

struct module;

extern const char *imap_coi_plugin_version;
extern const char *imap_coi_plugin_dependencies[];
extern const char imap_coi_plugin_binary_dependency[];

void imap_coi_plugin_init(struct module *module);
void imap_coi_plugin_deinit(void);

#endif
