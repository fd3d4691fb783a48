#ifndef WEBPUSH_SPOOL_H
#define WEBPUSH_SPOOL_H

#include "array.h"

/* On-disk spool of Web Push retries, so that a push whose push service
   failed transiently survives the process that started it (see
   doc/push-delivery.md). One JSON file per push in a spool directory:

     <id>.push               released: any process may take it
     <id>.push.<pid>@<host>  claimed by that process
     <hash>.gone             a subscription whose push service answered
                             404 or 410 (see webpush_spool_save_gone())

   Files are written to a hidden temporary name and renamed into place, so a
   reader never sees half a file. A process claims a released file (or one
   whose owner process is dead) by renaming it to its own claimed name:
   only one process wins the rename. This file knows nothing of HTTP or
   mail. */

struct webpush_spool_entry {
	/* Unique ID, also the file name without its suffix. */
	const char *id;
	/* Opaque to the spool (given back to the sender's callbacks). */
	const char *owner;
	const char *subscription;
	const char *endpoint;
	/* Address to connect to, or NULL. */
	const char *connect_ip;
	/* NULL-terminated "Name: value" lines. */
	const char *const *headers;
	const unsigned char *body;
	size_t body_size;
	/* The smaller body for 413, NULL when there is none. */
	const unsigned char *small_body;
	size_t small_body_size;
	/* TRUE once a 413 was answered: only the smaller body is sent. */
	bool small_only;
	const char *urgency;
	const char *topic;
	/* Unix times of the first and of the next attempt. */
	time_t first_attempt;
	time_t next_attempt;
	unsigned int attempts;
};

ARRAY_DEFINE_TYPE(webpush_spool_entry, struct webpush_spool_entry *);

/* FALSE while the process runs as root: an LMTP process between two
   sessions (it works as a user only during a session). Nothing is written
   to a user's spool then: files made by root in a directory the user
   controls would be unsafe, and unusable by the user's own processes. */
bool webpush_spool_writable(void);

/* A new unique entry ID. */
const char *webpush_spool_new_id(void);

/* The JSON text of an entry (data stack). */
const char *webpush_spool_entry_to_json(const struct webpush_spool_entry *entry);
/* Parses an entry; strings and data are allocated from pool. Returns -1
   with an error for anything that is not a complete, valid entry. */
int webpush_spool_entry_from_json(pool_t pool, const char *data, size_t size,
				  struct webpush_spool_entry *entry_r,
				  const char **error_r);

/* Writes the entry to dir (created when missing), claimed by this process
   or released. Replaces the entry's other file, if any. A new entry is
   refused when dir already holds max_entries files (0 = no limit).
   Returns 0, or -1 with an error. */
int webpush_spool_save(const char *dir, const struct webpush_spool_entry *entry,
		       bool claimed, unsigned int max_entries,
		       const char **error_r);
/* Removes the entry's files (claimed by this process or released). */
void webpush_spool_remove(const char *dir, const char *id,
			  struct event *event);

/* Claims every entry of dir that is released or whose owner process (on
   this host) is gone, and returns them (allocated from pool). Files that
   cannot be parsed are logged and removed; a missing dir is no error.
   Entries claimed by this process already are not returned. */
void webpush_spool_claim_all(const char *dir, pool_t pool, struct event *event,
			     ARRAY_TYPE(webpush_spool_entry) *entries);

/* A subscription whose push service answered 404 or 410. */
struct webpush_gone_record {
	const char *owner;
	const char *subscription;
	const char *endpoint;
	unsigned int status;
	/* Unix time of the answer */
	time_t time;
};
ARRAY_DEFINE_TYPE(webpush_gone_record, struct webpush_gone_record);

/* Records a gone subscription in dir as "<hash>.gone" (one file per owner
   and subscription: a second answer replaces the first), so that the
   subscription can be removed when its user's next session starts, however
   long after the push the answer came and whichever process got it. */
int webpush_spool_save_gone(const char *dir,
			    const struct webpush_gone_record *record,
			    const char **error_r);
/* Returns the gone records of dir (allocated from pool) and removes their
   files. Two processes never get the same record. Bad files are logged
   and removed; a missing dir is no error. */
void webpush_spool_take_gone(const char *dir, pool_t pool, struct event *event,
			     ARRAY_TYPE(webpush_gone_record) *records);

#endif
