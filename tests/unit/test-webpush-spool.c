/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "hostpid.h"
#include "unlink-directory.h"
#include "test-common.h"
#include "webpush-spool.h"

#include <sys/prctl.h>

#include <fcntl.h>
#include <stdio.h>
#include <dirent.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

static const char *spool_dir;

static void fill_entry(struct webpush_spool_entry *e)
{
	static const unsigned char body[] = { 0, 1, 2, 0xff, 'x' };
	static const unsigned char small[] = { 9, 8 };
	static const char *const headers[] = {
		"Authorization: vapid t=a.b.c, k=BAAA", "WebPush-Validation:", NULL
	};

	i_zero(e);
	e->id = "1700000000-0123456789abcdef";
	e->owner = "alice@example.com";
	e->subscription = "phone-1234567";
	e->endpoint = "https://push.example.net/p/\"quoted\"";
	e->connect_ip = "2001:db8::1";
	e->headers = headers;
	e->body = body;
	e->body_size = sizeof(body);
	e->small_body = small;
	e->small_body_size = sizeof(small);
	e->small_only = TRUE;
	e->urgency = "high";
	e->topic = NULL;
	e->first_attempt = 1700000000;
	e->next_attempt = 1700000060;
	e->attempts = 3;
}

static void test_entry_json_roundtrip(void)
{
	struct webpush_spool_entry e, d;
	const char *json, *error;
	pool_t pool = pool_alloconly_create("test", 1024);

	test_begin("webpush spool: entry JSON round trip");
	fill_entry(&e);
	json = webpush_spool_entry_to_json(&e);
	test_assert(webpush_spool_entry_from_json(pool, json, strlen(json),
						  &d, &error) == 0);
	test_assert_strcmp(d.id, e.id);
	test_assert_strcmp(d.owner, e.owner);
	test_assert_strcmp(d.subscription, e.subscription);
	test_assert_strcmp(d.endpoint, e.endpoint);
	test_assert_strcmp(d.connect_ip, e.connect_ip);
	test_assert_strcmp(d.headers[0], e.headers[0]);
	test_assert_strcmp(d.headers[1], e.headers[1]);
	test_assert(d.headers[2] == NULL);
	test_assert(d.body_size == e.body_size &&
		    memcmp(d.body, e.body, e.body_size) == 0);
	test_assert(d.small_body_size == e.small_body_size &&
		    memcmp(d.small_body, e.small_body, e.small_body_size) == 0);
	test_assert(d.small_only);
	test_assert_strcmp(d.urgency, "high");
	test_assert(d.topic == NULL);
	test_assert(d.first_attempt == e.first_attempt);
	test_assert(d.next_attempt == e.next_attempt);
	test_assert(d.attempts == 3);
	pool_unref(&pool);
	test_end();
}

static void test_entry_json_bad(void)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"{\"v\":2}",
		/* valid but for one field each */
		"{\"v\":1,\"id\":\"../x\",\"endpoint\":\"e\",\"headers\":[],\"body\":\"AA\",\"small_only\":false,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}",
		"{\"v\":1,\"id\":\"a\",\"endpoint\":5,\"headers\":[],\"body\":\"AA\",\"small_only\":false,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}",
		"{\"v\":1,\"id\":\"a\",\"endpoint\":\"e\",\"headers\":[\"no colon\"],\"body\":\"AA\",\"small_only\":false,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}",
		"{\"v\":1,\"id\":\"a\",\"endpoint\":\"e\",\"headers\":[\"A: b\\r\\nX: y\"],\"body\":\"AA\",\"small_only\":false,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}",
		"{\"v\":1,\"id\":\"a\",\"endpoint\":\"e\",\"headers\":[],\"body\":\"*\",\"small_only\":false,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}",
		"{\"v\":1,\"id\":\"a\",\"endpoint\":\"e\",\"headers\":[],\"small_only\":false,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}",
		"{\"v\":1,\"id\":\"a\",\"endpoint\":\"e\",\"headers\":[],\"body\":\"AA\",\"small_only\":true,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}",
		"{\"v\":1,\"id\":\"a\",\"endpoint\":\"e\",\"headers\":[],\"body\":\"AA\",\"small_only\":false,\"first_attempt\":-1,\"next_attempt\":1,\"attempts\":1}",
		"{\"v\":1,\"id\":\"a\",\"endpoint\":\"e\\u0000x\",\"headers\":[],\"body\":\"AA\",\"small_only\":false,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}",
		"{\"v\":1,\"v\":1,\"id\":\"a\",\"endpoint\":\"e\",\"headers\":[],\"body\":\"AA\",\"small_only\":false,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}",
	};
	static const char *good =
		"{\"v\":1,\"id\":\"a\",\"endpoint\":\"e\",\"headers\":[],\"body\":\"AA\",\"small_only\":false,\"first_attempt\":1,\"next_attempt\":1,\"attempts\":1}";
	struct webpush_spool_entry e;
	const char *error;
	unsigned int i;
	pool_t pool = pool_alloconly_create("test", 1024);

	test_begin("webpush spool: invalid entries are refused");
	test_assert(webpush_spool_entry_from_json(pool, good, strlen(good), &e, &error) == 0);
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		error = NULL;
		test_assert_idx(webpush_spool_entry_from_json(pool, bad[i], strlen(bad[i]),
							      &e, &error) < 0, i);
		test_assert_idx(error != NULL, i);
	}
	pool_unref(&pool);
	test_end();
}

static bool name_ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n >= m && strcmp(name + n - m, suffix) == 0;
}

static unsigned int count_files(const char *suffix)
{
	struct dirent *d;
	DIR *dirp = opendir(spool_dir);
	unsigned int n = 0;

	if (dirp == NULL)
		return 0;
	while ((d = readdir(dirp)) != NULL) {
		if (d->d_name[0] != '.' && name_ends_with(d->d_name, suffix))
			n++;
	}
	closedir(dirp);
	return n;
}

static void write_file(const char *name, const char *text)
{
	const char *path = t_strdup_printf("%s/%s", spool_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	i_assert(fd != -1);
	i_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	i_close_fd(&fd);
}

static void test_spool_files(void)
{
	ARRAY_TYPE(webpush_spool_entry) entries;
	struct webpush_spool_entry e, e2;
	struct event *event = event_create(NULL);
	const char *error, *claimed;
	pool_t pool = pool_alloconly_create("test", 4096);
	pid_t pid;

	test_begin("webpush spool: save, claim, release, bound");
	fill_entry(&e);
	claimed = t_strdup_printf(".push.%s@%s", my_pid, my_hostname);
	/* claimed by us: not given to ourselves again */
	test_assert(webpush_spool_save(spool_dir, &e, TRUE, 10, &error) == 0);
	test_assert(count_files(claimed) == 1);
	p_array_init(&entries, pool, 4);
	webpush_spool_claim_all(spool_dir, pool, event, &entries);
	test_assert(array_count(&entries) == 0);
	/* released: one file, the claimed one is gone */
	test_assert(webpush_spool_save(spool_dir, &e, FALSE, 10, &error) == 0);
	test_assert(count_files(claimed) == 0);
	test_assert(count_files(".push") == 1);
	/* bounded: a new entry beyond max is refused, an old one is not */
	fill_entry(&e2);
	e2.id = "2-second";
	test_assert(webpush_spool_save(spool_dir, &e2, TRUE, 1, &error) < 0);
	test_assert(strstr(error, "full") != NULL);
	test_assert(webpush_spool_save(spool_dir, &e, TRUE, 1, &error) == 0);
	test_assert(webpush_spool_save(spool_dir, &e, FALSE, 1, &error) == 0);

	/* claim: released, dead owner's, bad file; not a live owner's */
	/* a pid no process has */
	for (pid = 4194000; pid > 1; pid--) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			break;
	}
	fill_entry(&e2);
	e2.id = "3-dead";
	test_assert(webpush_spool_save(spool_dir, &e2, FALSE, 0, &error) == 0);
	test_assert(rename(t_strdup_printf("%s/3-dead.push", spool_dir),
			   t_strdup_printf("%s/3-dead.push.%ld@%s", spool_dir,
					   (long)pid, my_hostname)) == 0);
	e2.id = "4-live";
	test_assert(webpush_spool_save(spool_dir, &e2, FALSE, 0, &error) == 0);
	test_assert(rename(t_strdup_printf("%s/4-live.push", spool_dir),
			   t_strdup_printf("%s/4-live.push.%ld@%s", spool_dir,
					   (long)getppid(), my_hostname)) == 0);
	e2.id = "5-otherhost";
	test_assert(webpush_spool_save(spool_dir, &e2, FALSE, 0, &error) == 0);
	test_assert(rename(t_strdup_printf("%s/5-otherhost.push", spool_dir),
			   t_strdup_printf("%s/5-otherhost.push.%ld@other.invalid",
					   spool_dir, (long)pid)) == 0);
	write_file("6-bad.push", "{\"v\":1}");
	write_file("7-mismatch.push", webpush_spool_entry_to_json(&e));

	test_expect_error_string_n_times("spool file", 2);
	webpush_spool_claim_all(spool_dir, pool, event, &entries);
	test_expect_no_more_errors();
	test_assert(array_count(&entries) == 2);
	if (array_count(&entries) == 2) {
		const char *a = array_idx_elem(&entries, 0)->id;
		const char *b = array_idx_elem(&entries, 1)->id;

		test_assert((strcmp(a, e.id) == 0 && strcmp(b, "3-dead") == 0) ||
			    (strcmp(b, e.id) == 0 && strcmp(a, "3-dead") == 0));
	}
	test_assert(count_files(claimed) == 2);
	test_assert(count_files("6-bad.push") == 0);
	test_assert(count_files(t_strdup_printf("4-live.push.%ld@%s",
						(long)getppid(), my_hostname)) == 1);
	test_assert(count_files("@other.invalid") == 1);

	webpush_spool_remove(spool_dir, e.id, event);
	webpush_spool_remove(spool_dir, "3-dead", event);
	test_assert(count_files(claimed) == 0);
	/* a missing directory is no error */
	array_clear(&entries);
	webpush_spool_claim_all(t_strconcat(spool_dir, "/none", NULL), pool,
				event, &entries);
	test_assert(array_count(&entries) == 0);
	event_unref(&event);
	pool_unref(&pool);
	test_end();
}

static void test_gone_records(void)
{
	ARRAY_TYPE(webpush_gone_record) records;
	struct webpush_gone_record rec;
	const struct webpush_gone_record *r;
	struct event *event = event_create(NULL);
	pool_t pool = pool_alloconly_create("test", 1024);
	const char *error, *dir;

	test_begin("webpush spool: gone records");
	dir = t_strconcat(spool_dir, "/gone", NULL);
	i_zero(&rec);
	rec.owner = "alice";
	rec.subscription = "phone-12345";
	rec.endpoint = "https://push.example.net/x";
	rec.status = 404;
	rec.time = 1700000000;
	test_assert(webpush_spool_save_gone(dir, &rec, &error) == 0);
	rec.status = 410;
	test_assert(webpush_spool_save_gone(dir, &rec, &error) == 0);
	rec.owner = "bob";
	test_assert(webpush_spool_save_gone(dir, &rec, &error) == 0);
	write_file("gone/0123.gone", "{\"v\":1,\"endpoint\":\"e\",\"status\":200,\"time\":1}");

	p_array_init(&records, pool, 4);
	test_expect_error_string("bad spool file");
	webpush_spool_take_gone(dir, pool, event, &records);
	test_expect_no_more_errors();
	/* one record per owner and subscription: the later answer */
	test_assert(array_count(&records) == 2);
	array_foreach(&records, r) {
		test_assert(strcmp(r->owner, "alice") == 0 ||
			    strcmp(r->owner, "bob") == 0);
		test_assert_strcmp(r->subscription, "phone-12345");
		test_assert_strcmp(r->endpoint, "https://push.example.net/x");
		test_assert(r->status == 410);
		test_assert(r->time == 1700000000);
	}
	array_clear(&records);
	webpush_spool_take_gone(dir, pool, event, &records);
	test_assert(array_count(&records) == 0);
	event_unref(&event);
	pool_unref(&pool);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_entry_json_roundtrip,
		test_entry_json_bad,
		test_spool_files,
		test_gone_records,
		NULL
	};
	char tmpl[] = "/tmp/test-webpush-spool.XXXXXX";
	const char *error;
	int ret;

	lib_init();
	if (geteuid() == 0) {
		/* root never writes a user's spool: check that, then work as
		   an unprivileged user like the mail processes do */
		struct webpush_spool_entry e;

		fill_entry(&e);
		if (webpush_spool_writable() ||
		    webpush_spool_save("/tmp", &e, FALSE, 0, &error) == 0)
			i_fatal("the spool is written as root");
		if (setegid(65534) < 0 || seteuid(65534) < 0)
			i_fatal("seteuid(65534) failed: %m");
	}
	if (mkdtemp(tmpl) == NULL)
		i_fatal("mkdtemp() failed: %m");
	spool_dir = t_strconcat(tmpl, "/spool", NULL);
	ret = test_run(test_functions);
	if (unlink_directory(tmpl, UNLINK_DIRECTORY_FLAG_RMDIR, &error) < 0)
		i_error("%s", error);
	if (getuid() == 0 && geteuid() != 0) {
		/* Back to root and traceable: LeakSanitizer (ASan builds)
		   attaches to the process at exit, which mixed uids and the
		   non-dumpable flag of an euid change forbid. */
		if (seteuid(0) < 0 || setegid(0) < 0 ||
		    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			i_fatal("restoring root failed: %m");
	}
	lib_deinit();
	return ret;
}
