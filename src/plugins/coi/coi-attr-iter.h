#ifndef COI_ATTR_ITER_H
#define COI_ATTR_ITER_H

#include "mail-storage-private.h"

/* Attribute iterations that do not ask the attribute dict. A plugin whose
   keys below a prefix are all listed by its internal attribute's iter()
   (coi's fixed configuration keys, push_coi's VAPID key and subscription
   index) lets iterations there skip the dict: Dovecot 2.3.19's Redis dict
   cannot iterate ("dict_iterate() failed: Unsupported operation"), and
   GETMETADATA DEPTH on those entries then works on Redis too.

   A plugin overrides its mailbox's attribute_iter_init/next/deinit vfuncs
   with calls of these, passing its super vfuncs. The convenience library
   libcoi_attr_iter.la is linked into each plugin, so each recognises only
   its own iterations and hands every other one to super. */

/* FALSE for a mailbox whose metadata nobody lists or changes, so that
   its vfuncs need no wrapping for it: the raw mailbox a delivery reads the
   message from, and the mailboxes a delivery saves into
   (MAILBOX_FLAG_POST_SESSION). Each wrapping costs Dovecot's hook
   machinery on every mailbox allocated. */
bool coi_attr_box_has_metadata_access(struct mailbox *box);

/* An iteration of type_flags and prefix: one that returns no key from the
   dict when it lies within owned_prefix (a private key prefix ending in
   '/'), super's otherwise. */
struct mailbox_attribute_iter *
coi_attr_iter_skip_dict_init(const struct mailbox_vfuncs *super,
			     struct mailbox *box,
			     enum mail_attribute_type type_flags,
			     const char *prefix, const char *owned_prefix);
const char *
coi_attr_iter_skip_dict_next(const struct mailbox_vfuncs *super,
			     struct mailbox_attribute_iter *iter);
int coi_attr_iter_skip_dict_deinit(const struct mailbox_vfuncs *super,
				   struct mailbox_attribute_iter *iter);

#endif
