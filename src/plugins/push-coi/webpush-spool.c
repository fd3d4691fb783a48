/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "base64.h"
#include "guid.h"
#include "hex-binary.h"
#include "hostpid.h"
#include "ioloop.h"
#include "mkdir-parents.h"
#include "str.h"
#include "strnum.h"
#include "write-full.h"
#include "webpush-json.h"
#include "webpush-spool.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/evp.h>

#define WEBPUSH_SPOOL_VERSION 1
#define WEBPUSH_SPOOL_SUFFIX ".push"
/* No entry is larger: a body is at most 4096 octets. */
#define WEBPUSH_SPOOL_MAX_FILE_SIZE (64 * 1024)
/* Temporary files of crashed writers are removed after this. */
#define WEBPUSH_SPOOL_TMP_MAX_AGE_SECS 3600

static bool name_has_suffix(const char *name, const char *suffix)
{
	size_t len = strlen(name), suffix_len = strlen(suffix);

	return len > suffix_len &&
		strcmp(name + len - suffix_len, suffix) == 0;
}

bool webpush_spool_writable(void)
{
	return geteuid() != 0;
}

const char *webpush_spool_new_id(void)
{
	guid_128_t guid;

	guid_128_generate(guid);
	return t_strdup_printf("%ld-%s", (long)time(NULL),
			       guid_128_to_string(guid));
}

static bool webpush_spool_id_is_valid(const char *id)
{
	const char *p;

	if (*id == '\0' || strlen(id) > 100)
		return FALSE;
	for (p = id; *p != '\0'; p++) {
		if (!i_isalnum(*p) && *p != '-' && *p != '_')
			return FALSE;
	}
	return TRUE;
}

/* --- JSON ------------------------------------------------------------- */

static json_t *webpush_spool_str_or_null(const char *str)
{
	return str == NULL ? json_null() : json_string(str);
}

static json_t *webpush_spool_b64(const unsigned char *data, size_t size)
{
	const buffer_t *buf = t_base64url_encode(BASE64_ENCODE_FLAG_NO_PADDING,
						 0, data, size);

	return json_stringn(buf->data, buf->used);
}

const char *webpush_spool_entry_to_json(const struct webpush_spool_entry *entry)
{
	json_t *obj, *headers;
	const char *const *h;

	obj = json_object();
	json_object_set_new(obj, "v", json_integer(WEBPUSH_SPOOL_VERSION));
	json_object_set_new(obj, "id", json_string(entry->id));
	json_object_set_new(obj, "owner", webpush_spool_str_or_null(entry->owner));
	json_object_set_new(obj, "subscription",
			    webpush_spool_str_or_null(entry->subscription));
	json_object_set_new(obj, "endpoint", json_string(entry->endpoint));
	json_object_set_new(obj, "connect_ip",
			    webpush_spool_str_or_null(entry->connect_ip));
	headers = json_array();
	for (h = entry->headers; h != NULL && *h != NULL; h++)
		json_array_append_new(headers, json_string(*h));
	json_object_set_new(obj, "headers", headers);
	json_object_set_new(obj, "body",
			    webpush_spool_b64(entry->body, entry->body_size));
	json_object_set_new(obj, "small_body", entry->small_body == NULL ?
			    json_null() :
			    webpush_spool_b64(entry->small_body,
					      entry->small_body_size));
	json_object_set_new(obj, "small_only", json_boolean(entry->small_only));
	json_object_set_new(obj, "urgency", webpush_spool_str_or_null(entry->urgency));
	json_object_set_new(obj, "topic", webpush_spool_str_or_null(entry->topic));
	json_object_set_new(obj, "first_attempt",
			    json_integer((json_int_t)entry->first_attempt));
	json_object_set_new(obj, "next_attempt",
			    json_integer((json_int_t)entry->next_attempt));
	json_object_set_new(obj, "attempts", json_integer(entry->attempts));
	return webpush_json_dump(obj, JSON_SORT_KEYS);
}

static int
webpush_spool_get_str(pool_t pool, json_t *obj, const char *name,
		      bool nullable, const char **value_r, const char **error_r)
{
	return webpush_json_get_string(obj, name, !nullable, pool, value_r,
				       error_r);
}

static int
webpush_spool_get_b64(pool_t pool, json_t *obj, const char *name,
		      const unsigned char **data_r, size_t *size_r,
		      const char **error_r)
{
	const char *str;
	buffer_t *buf;

	if (webpush_spool_get_str(pool, obj, name, TRUE, &str, error_r) < 0)
		return -1;
	if (str == NULL) {
		*data_r = NULL;
		*size_r = 0;
		return 0;
	}
	buf = buffer_create_dynamic(pool, strlen(str));
	if (base64url_decode(BASE64_DECODE_FLAG_NO_PADDING |
			     BASE64_DECODE_FLAG_NO_WHITESPACE,
			     str, strlen(str), buf) < 0) {
		*error_r = t_strdup_printf("%s is not base64url", name);
		return -1;
	}
	*data_r = buf->data;
	*size_r = buf->used;
	return 0;
}

static int
webpush_spool_get_time(json_t *obj, const char *name, time_t *value_r,
		       const char **error_r)
{
	json_t *value = json_object_get(obj, name);

	if (!json_is_integer(value) || json_integer_value(value) < 0) {
		*error_r = t_strdup_printf("%s is not a time", name);
		return -1;
	}
	*value_r = (time_t)json_integer_value(value);
	return 0;
}

static int
webpush_spool_parse(pool_t pool, json_t *obj,
		    struct webpush_spool_entry *entry_r, const char **error_r)
{
	ARRAY_TYPE(const_string) headers;
	json_t *value, *item;
	const char *str;
	time_t attempts;
	size_t i;

	i_zero(entry_r);
	if (!json_is_object(obj)) {
		*error_r = "not a JSON object";
		return -1;
	}
	value = json_object_get(obj, "v");
	if (!json_is_integer(value) ||
	    json_integer_value(value) != WEBPUSH_SPOOL_VERSION) {
		*error_r = "unknown version";
		return -1;
	}
	if (webpush_spool_get_str(pool, obj, "id", FALSE, &entry_r->id, error_r) < 0 ||
	    webpush_spool_get_str(pool, obj, "owner", TRUE, &entry_r->owner, error_r) < 0 ||
	    webpush_spool_get_str(pool, obj, "subscription", TRUE,
				  &entry_r->subscription, error_r) < 0 ||
	    webpush_spool_get_str(pool, obj, "endpoint", FALSE,
				  &entry_r->endpoint, error_r) < 0 ||
	    webpush_spool_get_str(pool, obj, "connect_ip", TRUE,
				  &entry_r->connect_ip, error_r) < 0 ||
	    webpush_spool_get_str(pool, obj, "urgency", TRUE,
				  &entry_r->urgency, error_r) < 0 ||
	    webpush_spool_get_str(pool, obj, "topic", TRUE,
				  &entry_r->topic, error_r) < 0 ||
	    webpush_spool_get_b64(pool, obj, "body", &entry_r->body,
				  &entry_r->body_size, error_r) < 0 ||
	    webpush_spool_get_b64(pool, obj, "small_body", &entry_r->small_body,
				  &entry_r->small_body_size, error_r) < 0 ||
	    webpush_spool_get_time(obj, "first_attempt",
				   &entry_r->first_attempt, error_r) < 0 ||
	    webpush_spool_get_time(obj, "next_attempt",
				   &entry_r->next_attempt, error_r) < 0 ||
	    webpush_spool_get_time(obj, "attempts", &attempts, error_r) < 0)
		return -1;
	if (!webpush_spool_id_is_valid(entry_r->id)) {
		*error_r = "invalid id";
		return -1;
	}
	if (entry_r->body == NULL) {
		*error_r = "no body";
		return -1;
	}
	if (attempts > 1000000) {
		*error_r = "attempts out of range";
		return -1;
	}
	entry_r->attempts = (unsigned int)attempts;
	value = json_object_get(obj, "small_only");
	if (!json_is_boolean(value)) {
		*error_r = "small_only is not a boolean";
		return -1;
	}
	entry_r->small_only = json_is_true(value);
	if (entry_r->small_only && entry_r->small_body == NULL) {
		*error_r = "small_only without small_body";
		return -1;
	}

	value = json_object_get(obj, "headers");
	if (!json_is_array(value)) {
		*error_r = "headers is not an array";
		return -1;
	}
	p_array_init(&headers, pool, json_array_size(value) + 1);
	json_array_foreach(value, i, item) {
		if (!json_is_string(item) ||
		    strlen(json_string_value(item)) != json_string_length(item) ||
		    strpbrk(json_string_value(item), "\r\n") != NULL ||
		    (strchr(json_string_value(item), ':') == NULL &&
		     /* "Name;" is libcurl's header with an empty value
		        (e.g. WebPush-Validation) */
		     (json_string_length(item) < 2 ||
		      json_string_value(item)[json_string_length(item) - 1] != ';'))) {
			*error_r = "headers holds an invalid header";
			return -1;
		}
		str = p_strdup(pool, json_string_value(item));
		array_push_back(&headers, &str);
	}
	array_append_zero(&headers);
	entry_r->headers = array_front(&headers);
	return 0;
}

int webpush_spool_entry_from_json(pool_t pool, const char *data, size_t size,
				  struct webpush_spool_entry *entry_r,
				  const char **error_r)
{
	json_error_t jerr;
	json_t *obj;
	int ret;

	obj = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		*error_r = t_strdup_printf("invalid JSON: %s", jerr.text);
		return -1;
	}
	ret = webpush_spool_parse(pool, obj, entry_r, error_r);
	json_decref(obj);
	return ret;
}

/* --- files ------------------------------------------------------------ */

static const char *webpush_spool_claim_suffix(void)
{
	return t_strdup_printf(WEBPUSH_SPOOL_SUFFIX".%s@%s",
			       my_pid, my_hostname);
}

static int
webpush_spool_count(const char *dir, unsigned int *count_r,
		    const char **error_r)
{
	struct dirent *d;
	DIR *dirp;

	*count_r = 0;
	dirp = opendir(dir);
	if (dirp == NULL) {
		if (errno == ENOENT)
			return 0;
		*error_r = t_strdup_printf("opendir(%s) failed: %m", dir);
		return -1;
	}
	while ((d = readdir(dirp)) != NULL) {
		if (d->d_name[0] != '.' &&
		    strstr(d->d_name, WEBPUSH_SPOOL_SUFFIX) != NULL)
			(*count_r)++;
	}
	(void)closedir(dirp);
	return 0;
}

static int
webpush_spool_write_file(const char *path, const char *text,
			 const char **error_r)
{
	size_t len = strlen(text);
	int fd;

	/* a fresh file, never through a link someone left there */
	i_unlink_if_exists(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	if (write_full(fd, text, len) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", path);
		i_close_fd(&fd);
		i_unlink_if_exists(path);
		return -1;
	}
	if (fdatasync(fd) < 0) {
		*error_r = t_strdup_printf("fdatasync(%s) failed: %m", path);
		i_close_fd(&fd);
		i_unlink_if_exists(path);
		return -1;
	}
	if (close(fd) < 0) {
		*error_r = t_strdup_printf("close(%s) failed: %m", path);
		i_unlink_if_exists(path);
		return -1;
	}
	return 0;
}

int webpush_spool_save(const char *dir, const struct webpush_spool_entry *entry,
		       bool claimed, unsigned int max_entries,
		       const char **error_r)
{
	const char *released, *mine, *path, *other, *tmp;
	unsigned int count;
	struct stat st;

	i_assert(webpush_spool_id_is_valid(entry->id));
	if (!webpush_spool_writable()) {
		*error_r = "the process does not run as the user now";
		return -1;
	}
	released = t_strdup_printf("%s/%s"WEBPUSH_SPOOL_SUFFIX, dir, entry->id);
	mine = t_strdup_printf("%s/%s%s", dir, entry->id,
			       webpush_spool_claim_suffix());
	path = claimed ? mine : released;
	other = claimed ? released : mine;

	if (mkdir_parents(dir, 0700) < 0 && errno != EEXIST) {
		*error_r = t_strdup_printf("mkdir(%s) failed: %m", dir);
		return -1;
	}
	if (max_entries > 0 && stat(path, &st) < 0 && stat(other, &st) < 0) {
		/* a new entry */
		if (webpush_spool_count(dir, &count, error_r) < 0)
			return -1;
		if (count >= max_entries) {
			*error_r = t_strdup_printf(
				"spool %s is full (%u entries)", dir, count);
			return -1;
		}
	}
	tmp = t_strdup_printf("%s/.tmp.%s.%s", dir, entry->id, my_pid);
	if (webpush_spool_write_file(tmp, webpush_spool_entry_to_json(entry),
				     error_r) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   tmp, path);
		i_unlink_if_exists(tmp);
		return -1;
	}
	i_unlink_if_exists(other);
	return 0;
}

void webpush_spool_remove(const char *dir, const char *id,
			  struct event *event)
{
	const char *path;

	path = t_strdup_printf("%s/%s%s", dir, id, webpush_spool_claim_suffix());
	if (unlink(path) < 0 && errno != ENOENT)
		e_error(event, "unlink(%s) failed: %m", path);
	path = t_strdup_printf("%s/%s"WEBPUSH_SPOOL_SUFFIX, dir, id);
	if (unlink(path) < 0 && errno != ENOENT)
		e_error(event, "unlink(%s) failed: %m", path);
}

/* Returns TRUE when a file of this name may be claimed by us: released,
   or claimed by a process of this host that no longer runs. */
static bool
webpush_spool_claimable(const char *name, const char **id_r)
{
	const char *suffix = strstr(name, WEBPUSH_SPOOL_SUFFIX);
	const char *owner, *at;
	pid_t pid;

	if (suffix == NULL || name[0] == '.')
		return FALSE;
	*id_r = t_strdup_until(name, suffix);
	if (!webpush_spool_id_is_valid(*id_r))
		return FALSE;
	owner = suffix + strlen(WEBPUSH_SPOOL_SUFFIX);
	if (*owner == '\0')
		return TRUE;
	if (*owner != '.')
		return FALSE;
	owner++;
	at = strchr(owner, '@');
	if (at == NULL || strcmp(at + 1, my_hostname) != 0)
		return FALSE;
	if (str_to_pid(t_strdup_until(owner, at), &pid) < 0)
		return FALSE;
	if (strcmp(t_strdup_until(owner, at), my_pid) == 0)
		return FALSE;
	/* EPERM means the process exists */
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static bool
webpush_spool_read(const char *path, pool_t pool, struct event *event,
		   struct webpush_spool_entry **entry_r)
{
	struct webpush_spool_entry *entry;
	const char *error;
	buffer_t *buf;
	struct stat st;
	ssize_t ret;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd == -1) {
		if (errno != ENOENT)
			e_error(event, "open(%s) failed: %m", path);
		return FALSE;
	}
	if (fstat(fd, &st) < 0) {
		e_error(event, "fstat(%s) failed: %m", path);
		i_close_fd(&fd);
		return FALSE;
	}
	if (st.st_size > WEBPUSH_SPOOL_MAX_FILE_SIZE) {
		e_warning(event, "Skipping spool file %s: %lld octets is too large",
			  path, (long long)st.st_size);
		i_close_fd(&fd);
		i_unlink(path);
		return FALSE;
	}
	buf = t_buffer_create(st.st_size + 1);
	ret = read(fd, buffer_append_space_unsafe(buf, st.st_size), st.st_size);
	i_close_fd(&fd);
	if (ret != st.st_size) {
		e_error(event, "read(%s) failed: %s", path,
			ret < 0 ? strerror(errno) : "short read");
		return FALSE;
	}
	entry = p_new(pool, struct webpush_spool_entry, 1);
	if (webpush_spool_entry_from_json(pool, buf->data, buf->used,
					  entry, &error) < 0) {
		e_warning(event, "Skipping and removing bad spool file %s: %s",
			  path, error);
		i_unlink(path);
		return FALSE;
	}
	*entry_r = entry;
	return TRUE;
}

void webpush_spool_claim_all(const char *dir, pool_t pool, struct event *event,
			     ARRAY_TYPE(webpush_spool_entry) *entries)
{
	ARRAY_TYPE(const_string) names;
	struct webpush_spool_entry *entry;
	const char *name, *id, *from, *to;
	struct dirent *d;
	struct stat st;
	DIR *dirp;

	dirp = opendir(dir);
	if (dirp == NULL) {
		if (errno != ENOENT)
			e_error(event, "opendir(%s) failed: %m", dir);
		return;
	}
	t_array_init(&names, 16);
	while ((d = readdir(dirp)) != NULL) {
		name = t_strdup(d->d_name);
		array_push_back(&names, &name);
	}
	(void)closedir(dirp);

	array_foreach_elem(&names, name) {
		from = t_strdup_printf("%s/%s", dir, name);
		if (str_begins(name, ".tmp.") || str_begins(name, ".taken.")) {
			if (stat(from, &st) == 0 &&
			    st.st_mtime + WEBPUSH_SPOOL_TMP_MAX_AGE_SECS < ioloop_time)
				i_unlink_if_exists(from);
			continue;
		}
		if (!webpush_spool_claimable(name, &id))
			continue;
		to = t_strdup_printf("%s/%s%s", dir, id,
				     webpush_spool_claim_suffix());
		if (rename(from, to) < 0) {
			/* ENOENT: another process claimed it first */
			if (errno != ENOENT)
				e_error(event, "rename(%s, %s) failed: %m", from, to);
			continue;
		}
		if (!webpush_spool_read(to, pool, event, &entry))
			continue;
		if (strcmp(entry->id, id) != 0) {
			e_warning(event, "Skipping and removing spool file %s: "
				  "its id is %s", to, entry->id);
			i_unlink(to);
			continue;
		}
		array_push_back(entries, &entry);
	}
}

/* --- gone records ----------------------------------------------------- */

#define WEBPUSH_GONE_SUFFIX ".gone"

static const char *
webpush_gone_file_name(const char *owner, const char *subscription)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	string_t *input = t_str_new(128);

	str_append(input, owner == NULL ? "" : owner);
	str_append_c(input, '\0');
	str_append(input, subscription == NULL ? "" : subscription);
	if (EVP_Digest(str_data(input), str_len(input), digest, &digest_len,
		       EVP_sha256(), NULL) != 1)
		i_panic("EVP_Digest(sha256) failed");
	return t_strconcat(binary_to_hex(digest, 16), WEBPUSH_GONE_SUFFIX, NULL);
}

int webpush_spool_save_gone(const char *dir,
			    const struct webpush_gone_record *record,
			    const char **error_r)
{
	const char *name, *path, *tmp;
	json_t *obj;
	char *text;
	int ret;

	if (!webpush_spool_writable()) {
		*error_r = "the process does not run as the user now";
		return -1;
	}
	if (mkdir_parents(dir, 0700) < 0 && errno != EEXIST) {
		*error_r = t_strdup_printf("mkdir(%s) failed: %m", dir);
		return -1;
	}
	name = webpush_gone_file_name(record->owner, record->subscription);
	path = t_strdup_printf("%s/%s", dir, name);
	tmp = t_strdup_printf("%s/.tmp.%s.%s", dir, name, my_pid);

	obj = json_object();
	json_object_set_new(obj, "v", json_integer(WEBPUSH_SPOOL_VERSION));
	json_object_set_new(obj, "owner", webpush_spool_str_or_null(record->owner));
	json_object_set_new(obj, "subscription",
			    webpush_spool_str_or_null(record->subscription));
	json_object_set_new(obj, "endpoint", json_string(record->endpoint));
	json_object_set_new(obj, "status", json_integer(record->status));
	json_object_set_new(obj, "time", json_integer((json_int_t)record->time));
	text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	i_assert(text != NULL);
	ret = webpush_spool_write_file(tmp, text, error_r);
	free(text);
	if (ret < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m", tmp, path);
		i_unlink_if_exists(tmp);
		return -1;
	}
	return 0;
}

static int
webpush_gone_parse(pool_t pool, const char *data, size_t size,
		   struct webpush_gone_record *record_r, const char **error_r)
{
	json_error_t jerr;
	json_t *obj, *value;
	time_t status;
	int ret = -1;

	i_zero(record_r);
	obj = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		*error_r = t_strdup_printf("invalid JSON: %s", jerr.text);
		return -1;
	}
	value = json_object_get(obj, "v");
	if (!json_is_object(obj) || !json_is_integer(value) ||
	    json_integer_value(value) != WEBPUSH_SPOOL_VERSION)
		*error_r = "unknown version";
	else if (webpush_spool_get_str(pool, obj, "owner", TRUE,
				       &record_r->owner, error_r) < 0 ||
		 webpush_spool_get_str(pool, obj, "subscription", TRUE,
				       &record_r->subscription, error_r) < 0 ||
		 webpush_spool_get_str(pool, obj, "endpoint", FALSE,
				       &record_r->endpoint, error_r) < 0 ||
		 webpush_spool_get_time(obj, "status", &status, error_r) < 0 ||
		 webpush_spool_get_time(obj, "time", &record_r->time, error_r) < 0)
		;
	else if (status != 404 && status != 410)
		*error_r = "status is not 404 or 410";
	else {
		record_r->status = (unsigned int)status;
		ret = 0;
	}
	json_decref(obj);
	return ret;
}

void webpush_spool_take_gone(const char *dir, pool_t pool, struct event *event,
			     ARRAY_TYPE(webpush_gone_record) *records)
{
	ARRAY_TYPE(const_string) names;
	struct webpush_gone_record record;
	const char *name, *from, *to, *error;
	buffer_t *buf;
	struct dirent *d;
	ssize_t ret;
	DIR *dirp;
	int fd;

	dirp = opendir(dir);
	if (dirp == NULL) {
		if (errno != ENOENT)
			e_error(event, "opendir(%s) failed: %m", dir);
		return;
	}
	t_array_init(&names, 8);
	while ((d = readdir(dirp)) != NULL) {
		if (d->d_name[0] != '.' &&
		    name_has_suffix(d->d_name, WEBPUSH_GONE_SUFFIX)) {
			name = t_strdup(d->d_name);
			array_push_back(&names, &name);
		}
	}
	(void)closedir(dirp);

	array_foreach_elem(&names, name) {
		from = t_strdup_printf("%s/%s", dir, name);
		to = t_strdup_printf("%s/.taken.%s.%s", dir, name, my_pid);
		if (rename(from, to) < 0) {
			/* ENOENT: another process took it */
			if (errno != ENOENT)
				e_error(event, "rename(%s, %s) failed: %m", from, to);
			continue;
		}
		fd = open(to, O_RDONLY);
		if (fd == -1) {
			e_error(event, "open(%s) failed: %m", to);
			i_unlink_if_exists(to);
			continue;
		}
		buf = t_buffer_create(1024);
		ret = read(fd, buffer_append_space_unsafe(buf, 8192), 8192);
		i_close_fd(&fd);
		i_unlink(to);
		if (ret < 0) {
			e_error(event, "read(%s) failed: %m", from);
			continue;
		}
		buffer_set_used_size(buf, ret);
		if (ret == 8192 ||
		    webpush_gone_parse(pool, buf->data, buf->used, &record,
				       &error) < 0) {
			e_warning(event, "Skipping and removing bad spool file %s: %s",
				  from, ret == 8192 ? "too large" : error);
			continue;
		}
		array_push_back(records, &record);
	}
}
