"""More than one server: two Dovecot instances on shared storage keep their
mail attributes (COI configuration, push subscriptions) in one Redis
through Dovecot's redis dict, so what a client sets on one is what the
other one acts on.

The dict is reached through Dovecot's dict service (proxy::), as a
cluster would: Dovecot 2.3.19's redis driver used directly from a mail
process crashes in dict_transaction_commit on SETMETADATA (seen here with
no plugin loaded at all; see doc/cluster.md)."""

import os
import shutil
import tempfile
import unittest

from coitest import Dovecot, flow_records, message
from coitest.dovecot import MAIL_GID, MAIL_UID
from coitest.pushreceiver import PushReceiver
from coitest.redis import Redis
from coitest.webpush import PUSH_PLUGINS, push_settings, sub_entry


def redis_dict_conf(redis):
    # Dovecot's redis dict keys private entries by user name: IMAP logs in
    # as "carol", LMTP's recipient is carol@example.com, so both are made
    # "carol" (doc/cluster.md)
    return ("auth_username_format = %%Ln\n"
            "dict {\n  coiattr = %s\n}\n"
            "service dict {\n  unix_listener dict {\n    mode = 0666\n  }\n}\n" % redis.dict_uri)

COI = "/private/vendor/vendor.dovecot/coi/config"


class Cluster(unittest.TestCase):
    """Two Dovecot instances sharing the users' homes; subclasses say how
    each one is configured (dovecot_kwargs()) and what they share besides
    (prepare(), cleanup()). The log of both must stay clean."""

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def cleanup(cls):
        pass

    @classmethod
    def setUpClass(cls):
        cls.servers = []
        cls.homes = tempfile.mkdtemp(prefix="coihomes-")
        os.chown(cls.homes, MAIL_UID, MAIL_GID)
        try:
            cls.prepare()
            for _ in range(2):
                dc = Dovecot(home_root=cls.homes, **cls.dovecot_kwargs())
                cls.servers.append(dc.start())
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for dc in cls.servers:
            dc.cleanup()
        cls.cleanup()
        shutil.rmtree(cls.homes, ignore_errors=True)

    def setUp(self):
        for dc in self.servers:
            dc.mark_log()

    def tearDown(self):
        for dc in self.servers:
            dc.check_log()


class RedisCluster(Cluster):
    """A Cluster whose attribute dict is one Redis, through the dict
    service."""

    @classmethod
    def prepare(cls):
        cls.redis = Redis().start()

    @classmethod
    def cleanup(cls):
        if getattr(cls, "redis", None) is not None:
            cls.redis.stop()

    @classmethod
    def dovecot_kwargs(cls):
        return dict(mail_plugins="coi", imap_plugins="imap_coi",
                    attribute_dict="proxy::coiattr", extra_conf=redis_dict_conf(cls.redis))


class TwoServersOneRedis(RedisCluster):
    def test_coi_config_set_on_one_server_is_read_on_the_other(self):
        one, two = self.servers
        c1 = one.imap("alice")
        res = c1.setmetadata(COI + "/enabled", "yes")
        self.assertTrue(res.ok, res.text)
        c1.logout()
        self.assertTrue(any("vendor.dovecot/coi/config/enabled" in k for k in self.redis.keys()),
                        self.redis.keys())
        c2 = two.imap("alice")
        self.assertEqual(c2.getmeta(COI + "/enabled"), "yes")
        # DEPTH (CS-08) lists the COI entries without iterating the dict,
        # which Redis cannot do
        res, entries = c2.getmetadata("/private/vendor/vendor.dovecot/coi", depth="infinity")
        self.assertTrue(res.ok, res)
        self.assertEqual(entries, {COI + "/enabled": "yes", COI + "/message-filter": "none",
                                   COI + "/mailbox-root": "COI"})
        c2.logout()

    def test_coi_config_set_on_one_server_files_deliveries_on_the_other(self):
        one, two = self.servers
        c1 = one.imap("erin")
        self.assertTrue(c1.setmetadata(COI + "/enabled", "yes").ok)
        self.assertTrue(c1.setmetadata(COI + "/message-filter", "active").ok)
        c1.logout()
        self.assertEqual(two.lmtp_deliver("erin", message(subject="chat", chat=True)[1])[0], 250)
        self.assertEqual(two.lmtp_deliver("erin", message(subject="mail")[1])[0], 250)
        c = one.imap("erin")
        self.assertEqual(c.status("COI/Chats")["MESSAGES"], 1)
        self.assertEqual(c.status("INBOX")["MESSAGES"], 1)
        c.logout()

    def test_delivery_on_either_server_lands_in_the_shared_mailbox(self):
        one, two = self.servers
        self.assertEqual(one.lmtp_deliver("bob", message(subject="via one")[1])[0], 250)
        self.assertEqual(two.lmtp_deliver("bob", message(subject="via two")[1])[0], 250)
        c = one.imap("bob")
        self.assertEqual(c.status("INBOX")["MESSAGES"], 2)
        c.logout()


class TwoServersWebPush(RedisCluster):
    """The same VAPID key on both servers and the subscriptions in one
    Redis: a subscription made on one validates on the other, and a
    delivery on either pushes to it. Dovecot 2.3.19's redis dict cannot
    iterate ("dict_iterate() failed: Unsupported operation"), so the
    subscriptions are listed through push_coi's index key, never by
    iterating the dict."""

    @classmethod
    def prepare(cls):
        super().prepare()
        cls.keydir = tempfile.mkdtemp(prefix="coikeys-")
        os.chmod(cls.keydir, 0o755)
        cls.rx = PushReceiver().start()
        # one VAPID key file for both servers
        cls.plugin = push_settings(cls.keydir, cls.rx)

    @classmethod
    def cleanup(cls):
        if getattr(cls, "rx", None) is not None:
            cls.rx.stop()
        shutil.rmtree(getattr(cls, "keydir", ""), ignore_errors=True)
        super().cleanup()

    @classmethod
    def dovecot_kwargs(cls):
        return dict(super().dovecot_kwargs(), plugin=cls.plugin, **PUSH_PLUGINS)

    def redis_keys(self, user, part):
        return [k for k in self.redis.keys() if user in k and part in k]

    def test_subscribe_on_one_validate_on_other_push_from_both(self):
        one, two = self.servers
        sub, endpoint = self.rx.subscriber("cluster-phone")
        c1 = one.imap("carol")
        res = c1.setmetadata(sub_entry("cluster-phone"),
                             sub.subscription_json(endpoint, msgtype="all"))
        self.assertTrue(res.ok, res)
        token = self.rx.wait_requests("cluster-phone", 1)[0].json()["validation"]
        c1.logout()
        # the subscription and push_coi's index of it are in Redis
        self.assertEqual(len(self.redis_keys("carol", "webpush/subscriptions/cluster-phone")), 1,
                         self.redis.keys())
        self.assertEqual(len(self.redis_keys("carol", "pvt/webpush-subscriptions")), 1,
                         self.redis.keys())
        # the token made by server one is accepted by server two
        c2 = two.imap("carol")
        res = c2.setmetadata(sub_entry("cluster-phone/validate"), token)
        self.assertTrue(res.ok, res)
        self.assertIn('"validated":true', c2.getmeta(sub_entry("cluster-phone")).replace(" ", ""))
        c2.logout()
        subjects = []
        for n, dc in enumerate(self.servers):
            subject = "via server %d" % (n + 1)
            subjects.append(subject)
            self.assertEqual(dc.lmtp_deliver("carol", message(subject=subject)[1])[0], 250)
        reqs = self.rx.wait_requests("cluster-phone", 3)
        for r in reqs:
            self.assertIsNone(r.vapid_error)
            self.assertIsNone(r.decrypt_error)
        self.assertEqual(sorted(r.json().get("subject") for r in reqs[1:]), subjects)

    def subscribe_validated(self, dc, user, sub_id):
        sub, endpoint = self.rx.subscriber(sub_id)
        c = dc.imap(user)
        res = c.setmetadata(sub_entry(sub_id), sub.subscription_json(endpoint, msgtype="all"))
        self.assertTrue(res.ok, res)
        token = self.rx.wait_requests(sub_id, 1)[0].json()["validation"]
        res = c.setmetadata(sub_entry(sub_id + "/validate"), token)
        self.assertTrue(res.ok, res)
        c.logout()

    def test_list_and_remove_across_servers(self):
        one, two = self.servers
        self.subscribe_validated(one, "dave", "dave-phone-1")
        self.subscribe_validated(two, "dave", "dave-phone-2")
        # both servers list both subscriptions (no dict iteration)
        for dc in self.servers:
            out = dc.doveadm("webpush", "list", "-u", "dave").stdout
            self.assertIn("dave-phone-1", out)
            self.assertIn("dave-phone-2", out)
            recs = flow_records(dc.doveadm("-f", "flow", "coi", "status", "-u", "dave").stdout)
            self.assertEqual((recs[0]["subscriptions"], recs[0]["validated"]), ("2", "2"))
        # removed on server two, server one no longer pushes to it
        c2 = two.imap("dave")
        res = c2.setmetadata(sub_entry("dave-phone-1"), None)
        self.assertTrue(res.ok, res)
        c2.logout()
        self.assertEqual(self.redis_keys("dave", "webpush/subscriptions/dave-phone-1"), [])
        self.assertEqual(one.lmtp_deliver("dave", message(subject="after removal")[1])[0], 250)
        reqs = self.rx.wait_requests("dave-phone-2", 2)
        self.assertEqual(reqs[1].json().get("subject"), "after removal")
        self.assertEqual(len(self.rx.requests("dave-phone-1")), 1)  # the validation push only
        out = one.doveadm("webpush", "list", "-u", "dave").stdout
        self.assertNotIn("dave-phone-1", out)
        self.assertIn("dave-phone-2", out)
        c1 = one.imap("dave")
        res, entries = c1.getmetadata("/private/vendor/vendor.dovecot/webpush", depth="infinity")
        self.assertTrue(res.ok, res)
        # DEPTH (WP-12) lists the WebPush entries without iterating the
        # dict, which Redis cannot do
        self.assertEqual(sorted(entries), [sub_entry("dave-phone-2"),
                                           "/private/vendor/vendor.dovecot/webpush/vapid"])
        self.assertIsNone(c1.getmeta(sub_entry("dave-phone-1")))
        self.assertIn("dave-phone-2", c1.getmeta(sub_entry("dave-phone-2")))
        c1.logout()

    def test_refused_validation_is_counted_in_redis(self):
        # the abuse state (WP-20) is written after the refused command's
        # transaction ended: Dovecot's Redis dict allows one open
        # transaction per connection and panicked on a nested one
        one, two = self.servers
        sub, endpoint = self.rx.subscriber("frank-phone")
        c1 = one.imap("frank")
        res = c1.setmetadata(sub_entry("frank-phone"), sub.subscription_json(endpoint))
        self.assertTrue(res.ok, res)
        c1.logout()
        # "1 <create start> <creations> <fail start> <failures> <locked
        # until>" (webpush-abuse.c)
        abuse = self.redis_keys("frank", "pvt/webpush-abuse")
        self.assertEqual(len(abuse), 1, self.redis.keys())
        fields = self.redis.get(abuse[0]).split()
        self.assertEqual((fields[2], fields[4]), ("1", "0"), fields)
        c2 = two.imap("frank")
        res = c2.setmetadata(sub_entry("frank-phone/validate"), "not-the-token")
        self.assertFalse(res.ok)
        self.assertIn("invalid validation", res.text)
        c2.logout()
        fields = self.redis.get(abuse[0]).split()
        self.assertEqual((fields[2], fields[4]), ("1", "1"), fields)
