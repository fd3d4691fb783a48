/* Copyright (c) the dovecot-coi authors, see the included COPYING file */

/* webpush: the Web Push service. Mail processes whose webpush_service
   setting names its socket hand their pushes over as plaintext
   (webpush-job.h); this process encrypts them (RFC 8291), signs them
   (VAPID, RFC 8292) and sends them with the same sender as a mail process
   would (webpush-sender.h: retries, spool, answers). The mail process
   that delivers a message thus spends no time on its pushes, and one
   process keeps the connections to the push services for all of them.

   It is a Dovecot service (doc/push-delivery.md):

     service webpush {
       executable = /usr/lib/dovecot/webpush
       user = vmail
       unix_listener webpush {
         user = vmail
         mode = 0600
       }
     }

   Knows nothing of IMAP or mail storage: a push service's 404 or 410 is
   sent back to the mail process that handed the push over, which removes
   the subscription. */

#define _GNU_SOURCE /* SCHED_IDLE */
#include "lib.h"
#include "array.h"
#include "hash.h"
#include "ioloop.h"
#include "ostream.h"
#include "connection.h"
#include "restrict-access.h"
#include "master-service.h"
#include "webpush-endpoint.h"
#include "webpush-job.h"
#include "webpush-prepare.h"
#include "webpush-sender.h"
#include "webpush-spool.h"
#include "webpush-vapid.h"

#include <sched.h>
#include <sys/resource.h>

/* The service's default niceness (-n): a push waits for a delivery that
   wants the same CPU, never the other way round. -n idle (SCHED_IDLE)
   goes further: the service gets only CPU time nobody else wants, so a
   process that wakes up never waits for a push being prepared, but on a
   CPU that is busy all the time pushes wait. */
#define WEBPUSH_SERVICE_DEFAULT_NICE 10

/* Distinct settings (usually one per server, one per domain where the
   userdb gives each its own VAPID key) kept at most. Beyond it, one that
   no connected mail process uses and that has no push left is forgotten;
   when all are still needed, a mail process with new settings is
   disconnected, and the pushes it sent with them are lost (logged on
   both sides). */
#define WEBPUSH_SERVICE_MAX_PROFILES 64

/* The pushes of one set of settings: one sender, one VAPID key. */
struct webpush_profile {
	char *line;
	pool_t pool;
	struct webpush_endpoint_settings *endpoint_set;
	struct webpush_vapid *vapid;
	struct webpush_sender *sender;
	/* the settings are invalid: every push of this profile is refused
	   with this error */
	char *error;
};

struct webpush_service_client {
	struct connection conn;
	struct webpush_profile *profile;
};

/* What the sender gives back with a push's outcome. */
struct webpush_service_push {
	unsigned int client_id;
	unsigned int job_id;
	char *owner, *subscription, *endpoint;
	/* the sender keeps a gone record in the push's spool directory */
	bool gone_recorded;
};

/* The category of the mail processes' push events (doc/events.md): the
   same events, the same stats filters, whichever process sends. */
static struct event_category event_category_push_coi = {
	.name = "push-coi",
};

static struct event *service_event;
static struct connection_list *service_clients;
static HASH_TABLE(char *, struct webpush_profile *) service_profiles;

static struct webpush_service_client *service_client_find(unsigned int id)
{
	struct connection *conn;

	if (service_clients == NULL) {
		/* the service ends: the senders give their last outcomes
		   after the clients are gone */
		return NULL;
	}
	for (conn = service_clients->connections; conn != NULL;
	     conn = conn->next) {
		if (conn->id == id) {
			return container_of(conn, struct webpush_service_client,
					    conn);
		}
	}
	return NULL;
}

static void service_client_send(struct webpush_service_client *client,
				const char *line)
{
	o_stream_nsend_str(client->conn.output,
			   t_strconcat(line, "\n", NULL));
}

static const char *
service_authorize(const char *owner ATTR_UNUSED, const char *endpoint,
		  void *context, const char **error_r)
{
	struct webpush_profile *profile = context;

	return webpush_prepare_authorization(profile->vapid,
					     profile->endpoint_set, endpoint,
					     error_r);
}

static void service_profile_init(struct webpush_profile *profile,
				 const char *const *settings)
{
	struct webpush_sender_settings set;
	struct webpush_sender_hooks hooks;
	void *ctx = (void *)settings;
	const char *error;

	if (webpush_endpoint_settings_parse(
		webpush_job_settings_lookup(WEBPUSH_SETTING_ALLOW_HTTP, ctx),
		webpush_job_settings_lookup(WEBPUSH_SETTING_ALLOWED_NETWORKS,
					    ctx),
		profile->pool, &profile->endpoint_set, &error) < 0 ||
	    webpush_vapid_get_shared(
		webpush_job_settings_lookup(WEBPUSH_VAPID_SETTING_KEY, ctx),
		webpush_job_settings_lookup(WEBPUSH_VAPID_SETTING_SUBJECT, ctx),
		webpush_job_settings_lookup(WEBPUSH_VAPID_SETTING_EXPIRE, ctx),
		&profile->vapid, &error) < 0 ||
	    webpush_sender_settings_read(webpush_job_settings_lookup, ctx,
					 NULL, profile->pool, &set,
					 &error) < 0) {
		profile->error = i_strdup(error);
		return;
	}
	i_zero(&hooks);
	hooks.endpoint_set = profile->endpoint_set;
	hooks.authorize = service_authorize;
	hooks.authorize_context = profile;
	hooks.seal = webpush_prepare_seal;
	if (webpush_sender_init(&set, &hooks, service_event,
				&profile->sender, &error) < 0)
		profile->error = i_strdup(error);
}

static void service_profile_free(struct webpush_profile *profile)
{
	if (profile->sender != NULL)
		webpush_sender_deinit(&profile->sender);
	if (profile->vapid != NULL)
		webpush_vapid_unref(&profile->vapid);
	pool_unref(&profile->pool);
	i_free(profile->error);
	i_free(profile->line);
	i_free(profile);
}

/* TRUE while the profile's sender has pushes in flight or retries
   waiting. */
static bool service_profile_busy(struct webpush_profile *profile)
{
	return profile->sender != NULL &&
		webpush_sender_pending(profile->sender) > 0;
}

static bool service_profile_in_use(struct webpush_profile *profile)
{
	struct webpush_service_client *client;
	struct connection *conn;

	for (conn = service_clients->connections; conn != NULL;
	     conn = conn->next) {
		client = container_of(conn, struct webpush_service_client,
				      conn);
		if (client->profile == profile)
			return TRUE;
	}
	return FALSE;
}

/* Frees a profile that no connected mail process uses and whose sender
   has nothing left to do (nothing in flight, no retry waiting): its
   settings come back as a new profile when a mail process sends them
   again. Returns FALSE when every profile is still needed. */
static bool service_profile_forget_idle(void)
{
	struct hash_iterate_context *iter;
	struct webpush_profile *profile, *idle = NULL;
	char *line;

	iter = hash_table_iterate_init(service_profiles);
	while (idle == NULL && hash_table_iterate(iter, service_profiles,
						  &line, &profile)) {
		if (!service_profile_busy(profile) &&
		    !service_profile_in_use(profile))
			idle = profile;
	}
	hash_table_iterate_deinit(&iter);
	if (idle == NULL)
		return FALSE;
	e_debug(service_event, "Forgetting the settings of no connected mail "
		"process, with no push left: %u is the most kept",
		WEBPUSH_SERVICE_MAX_PROFILES);
	hash_table_remove(service_profiles, idle->line);
	service_profile_free(idle);
	return TRUE;
}

/* The profile of a settings line: an existing one, or a new one. NULL
   (with error_r) when there are too many that are still needed. */
static struct webpush_profile *
service_profile_get(const char *line, const char *const *settings,
		    const char **error_r)
{
	struct webpush_profile *profile;

	profile = hash_table_lookup(service_profiles, line);
	if (profile != NULL)
		return profile;
	if (hash_table_count(service_profiles) >= WEBPUSH_SERVICE_MAX_PROFILES &&
	    !service_profile_forget_idle()) {
		*error_r = t_strdup_printf("more than %u different settings "
			"of push_coi in use at once (by connected mail processes, "
			"or with pushes still being sent)",
			WEBPUSH_SERVICE_MAX_PROFILES);
		return NULL;
	}
	profile = i_new(struct webpush_profile, 1);
	profile->line = i_strdup(line);
	profile->pool = pool_alloconly_create("webpush profile", 1024);
	service_profile_init(profile, settings);
	if (profile->error != NULL) {
		e_error(service_event, "Invalid push_coi settings: %s: the "
			"pushes that come with them are refused",
			profile->error);
	}
	hash_table_insert(service_profiles, profile->line, profile);
	return profile;
}

static void
service_push_callback(const struct webpush_push_outcome *outcome,
		      void *context)
{
	struct webpush_service_push *p = context;
	struct webpush_service_client *client;

	client = service_client_find(p->client_id);
	if (outcome->result == WEBPUSH_PUSH_GONE) {
		if (client != NULL) {
			service_client_send(client, webpush_job_gone_line(
				p->owner, p->subscription, p->endpoint,
				outcome->status));
		} else if (p->gone_recorded) {
			e_info(service_event, "Subscription %s of %s is gone "
			       "(HTTP %u); the mail process that sent the "
			       "push has ended: it is removed when the "
			       "user's next session starts", p->subscription,
			       p->owner, outcome->status);
		} else {
			e_warning(service_event, "Subscription %s of %s is "
				  "gone (HTTP %u), but the mail process that "
				  "sent the push has ended and the service "
				  "cannot write the user's spool (it runs as "
				  "root, or no webpush_spool_dir): the "
				  "subscription stays until a push to it gets "
				  "this answer again", p->subscription,
				  p->owner, outcome->status);
		}
	}
	if (client != NULL && p->job_id != 0) {
		service_client_send(client, webpush_job_outcome_line(
			p->job_id, outcome));
	}
	i_free(p->owner);
	i_free(p->subscription);
	i_free(p->endpoint);
	i_free(p);
}

static void
service_push_refused(struct webpush_service_client *client,
		     const struct webpush_job_push *job, const char *error)
{
	struct webpush_push_outcome outcome;

	if (job->id == 0)
		return;
	i_zero(&outcome);
	outcome.result = WEBPUSH_PUSH_REJECTED;
	outcome.error = error;
	service_client_send(client, webpush_job_outcome_line(job->id,
							     &outcome));
}

static void service_push(struct webpush_service_client *client,
			 const struct webpush_job_push *job)
{
	struct webpush_profile *profile = client->profile;
	struct webpush_prepared prepared;
	struct webpush_service_push *p;
	const char *error;

	if (profile == NULL || profile->error != NULL) {
		error = profile == NULL ? "no settings line before the push" :
			t_strconcat("invalid settings: ", profile->error, NULL);
		e_warning(service_event, "Push to subscription %s of %s "
			  "refused: %s", job->subscription, job->owner, error);
		service_push_refused(client, job, error);
		return;
	}
	if (webpush_prepare_push(job, profile->endpoint_set, &prepared,
				 &error) < 0) {
		e_warning(service_event, "Subscription %s of %s: %s",
			  job->subscription, job->owner, error);
		service_push_refused(client, job, error);
		return;
	}
	p = i_new(struct webpush_service_push, 1);
	p->client_id = client->conn.id;
	p->job_id = job->id;
	p->owner = i_strdup(job->owner);
	p->subscription = i_strdup(job->subscription);
	p->endpoint = i_strdup(job->endpoint);
	p->gone_recorded = job->spool_dir != NULL && webpush_spool_writable();
	e_debug(service_event, "Sending a push to subscription %s of %s (%s)",
		job->subscription, job->owner, prepared.origin);
	webpush_sender_send(profile->sender, &prepared.push,
			    service_push_callback, p);
}

static int
service_client_input_job(struct webpush_service_client *client,
			 const char *line)
{
	struct connection *conn = &client->conn;
	struct webpush_job_line job;
	const char *error;

	if (webpush_job_parse_line(line, pool_datastack_create(), &job,
				   &error) < 0) {
		e_error(conn->event, "Invalid line from a mail process: %s: "
			"disconnecting it", error);
		return -1;
	}
	switch (job.type) {
	case WEBPUSH_JOB_LINE_SETTINGS:
		client->profile = service_profile_get(line, job.settings,
						      &error);
		if (client->profile == NULL) {
			e_error(conn->event, "%s: disconnecting the mail "
				"process", error);
			return -1;
		}
		return 1;
	case WEBPUSH_JOB_LINE_PUSH:
		service_push(client, &job.push);
		return 1;
	case WEBPUSH_JOB_LINE_RESUME:
		if (!webpush_spool_writable()) {
			/* as root: the user's files are not ours to take */
			e_debug(conn->event, "Not resuming the spool %s: the "
				"service runs as root", job.resume_dir);
		} else if (client->profile != NULL &&
			   client->profile->sender != NULL) {
			webpush_sender_resume_spool(client->profile->sender,
						    job.resume_dir);
		}
		return 1;
	default:
		e_error(conn->event, "Unexpected line from a mail process: "
			"disconnecting it");
		return -1;
	}
}

static int service_client_input_line(struct connection *conn,
				     const char *line)
{
	struct webpush_service_client *client =
		container_of(conn, struct webpush_service_client, conn);
	int ret;

	T_BEGIN {
		ret = service_client_input_job(client, line);
	} T_END;
	return ret;
}

static void service_client_destroy(struct connection *conn)
{
	struct webpush_service_client *client =
		container_of(conn, struct webpush_service_client, conn);

	e_debug(conn->event, "Mail process disconnected: %s",
		connection_disconnect_reason(conn));
	connection_deinit(conn);
	i_free(client);
	master_service_client_connection_destroyed(master_service);
}

static const struct connection_settings service_client_set = {
	.service_name_in = "webpush-client",
	.service_name_out = "webpush-server",
	.major_version = WEBPUSH_JOB_MAJOR_VERSION,
	.minor_version = WEBPUSH_JOB_MINOR_VERSION,
	.input_max_size = WEBPUSH_JOB_LINE_MAX_SIZE,
	.output_max_size = SIZE_MAX,
	.client = FALSE,
};

static const struct connection_vfuncs service_client_vfuncs = {
	.destroy = service_client_destroy,
	.handshake_line = webpush_job_handshake_line,
	.input_line = service_client_input_line,
};

static void client_connected(struct master_service_connection *mconn)
{
	struct webpush_service_client *client;

	client = i_new(struct webpush_service_client, 1);
	client->conn.event_parent = service_event;
	connection_init_server(service_clients, &client->conn,
			       "webpush-client", mconn->fd, mconn->fd);
	master_service_client_connection_accept(mconn);
	e_debug(client->conn.event, "Mail process connected");
}

/* The master asks an idle process (no mail process connected) to end:
   it does not while pushes are still being sent or wait for a retry. */
static bool service_idle_die(void)
{
	struct hash_iterate_context *iter;
	struct webpush_profile *profile;
	char *line;
	bool busy = FALSE;

	iter = hash_table_iterate_init(service_profiles);
	while (!busy && hash_table_iterate(iter, service_profiles, &line,
					   &profile)) {
		if (service_profile_busy(profile))
			busy = TRUE;
	}
	hash_table_iterate_deinit(&iter);
	return !busy;
}

static void main_deinit(void)
{
	struct hash_iterate_context *iter;
	struct webpush_profile *profile;
	char *line;

	/* the clients first: outcomes of the pushes the senders end now
	   have nobody to go to */
	connection_list_deinit(&service_clients);
	iter = hash_table_iterate_init(service_profiles);
	while (hash_table_iterate(iter, service_profiles, &line, &profile))
		service_profile_free(profile);
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&service_profiles);
	webpush_vapid_shared_deinit();
	event_unref(&service_event);
}

int main(int argc, char *argv[])
{
	int c, niceness = WEBPUSH_SERVICE_DEFAULT_NICE;
	bool idle = FALSE;

	/* (-c, -i, -k, -o, -O and -L are the master service's) */
	master_service = master_service_init("webpush", 0, &argc, &argv, "n:");
	while ((c = master_getopt(master_service)) > 0) {
		switch (c) {
		case 'n':
			if (strcmp(optarg, "idle") == 0) {
				idle = TRUE;
				niceness = 0;
			} else if (str_to_int(optarg, &niceness) < 0 ||
				   niceness < 0 || niceness > 19) {
				i_fatal("-n: not a niceness from 0 to 19, "
					"nor idle: %s", optarg);
			}
			break;
		default:
			return FATAL_DEFAULT;
		}
	}
	master_service_init_log(master_service);
	/* pushes yield the CPU to the processes that deliver mail */
	if (niceness > 0 && setpriority(PRIO_PROCESS, 0, niceness) < 0)
		i_error("setpriority(%d) failed: %m", niceness);
	if (idle) {
		/* -n idle: only CPU time that no other process wants; any
		   process that wakes up takes the CPU at once */
		struct sched_param param;

		i_zero(&param);
		if (sched_setscheduler(0, SCHED_IDLE, &param) < 0)
			i_error("sched_setscheduler(SCHED_IDLE) failed: %m");
	}
	restrict_access_by_env(RESTRICT_ACCESS_FLAG_ALLOW_ROOT, NULL);
	restrict_access_allow_coredumps(TRUE);

	service_event = event_create(NULL);
	event_add_category(service_event, &event_category_push_coi);
	event_set_append_log_prefix(service_event, "push-coi: ");
	service_clients = connection_list_init(&service_client_set,
					       &service_client_vfuncs);
	hash_table_create(&service_profiles, default_pool, 0, str_hash,
			  strcmp);

	master_service_set_idle_die_callback(master_service, service_idle_die);
	master_service_init_finish(master_service);
	master_service_run(master_service, client_connected);

	main_deinit();
	master_service_deinit(&master_service);
	return 0;
}
