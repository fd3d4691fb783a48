#ifndef COI_ATTR_ITER_H
#define COI_ATTR_ITER_H

#include "mailbox-attribute.h"

/* Attribute iterations that do not ask the attribute dict. A plugin whose
   keys below a prefix are all listed by its internal attribute's iter()
   (coi's fixed configuration keys, push_coi's VAPID key and subscription
   index) lets iterations there skip the dict: Dovecot 2.3.19's Redis dict
   cannot iterate ("dict_iterate() failed: Unsupported operation"), and
   GETMETADATA DEPTH on those entries then works on Redis too.

   A plugin overrides its mailbox's attribute_iter_* vfuncs and calls these:
   coi_attr_iter_skip_init() for a prefix it owns instead of super's init,
   and coi_attr_iter_is_skip() in next and deinit to tell such an
   iteration from super's. The convenience library libcoi_attr_iter.la is
   linked into each plugin, so each recognises only its own. */

/* Returns TRUE when an iteration of type_flags and prefix lies within
   owned_prefix (a private key prefix ending in '/'). */
bool coi_attr_iter_owns(enum mail_attribute_type type_flags,
			const char *prefix, const char *owned_prefix);

/* An iteration of box that returns no keys from the dict. */
struct mailbox_attribute_iter *coi_attr_iter_skip_init(struct mailbox *box);

/* Returns TRUE when iter came from coi_attr_iter_skip_init(). */
bool coi_attr_iter_is_skip(struct mailbox_attribute_iter *iter);

/* Frees an iteration from coi_attr_iter_skip_init(). */
void coi_attr_iter_skip_deinit(struct mailbox_attribute_iter *iter);

#endif
