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

from coitest import Dovecot, message
from coitest.dovecot import MAIL_GID, MAIL_UID
from coitest.pushreceiver import PushReceiver
from coitest.redis import Redis
from coitest.webpush import PUSH_PLUGINS, push_settings, sub_entry


def redis_dict_conf(redis):
    return ("dict {\n  coiattr = %s\n}\n"
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


class TwoServersOneRedis(Cluster):
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
        c2.logout()

    def test_delivery_on_either_server_lands_in_the_shared_mailbox(self):
        one, two = self.servers
        self.assertEqual(one.lmtp_deliver("bob", message(subject="via one")[1])[0], 250)
        self.assertEqual(two.lmtp_deliver("bob", message(subject="via two")[1])[0], 250)
        c = one.imap("bob")
        self.assertEqual(c.status("INBOX")["MESSAGES"], 2)
        c.logout()


class TwoServersWebPush(Cluster):
    """The same VAPID key on both servers and the subscriptions in one
    shared attribute dict: a subscription made on one validates on the
    other, and a delivery on either pushes to it.

    The dict here is a file dict on the shared storage, not Redis: listing
    subscriptions (and GETMETADATA DEPTH) iterates the dict, and Dovecot
    2.3.19's redis dict has no iteration ("dict_iterate() failed:
    Unsupported operation"; doc/cluster.md)."""

    @classmethod
    def prepare(cls):
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

    @classmethod
    def dovecot_kwargs(cls):
        return dict(PUSH_PLUGINS, plugin=cls.plugin)

    def test_subscribe_on_one_validate_on_other_push_from_both(self):
        one, two = self.servers
        sub, endpoint = self.rx.subscriber("cluster-phone")
        c1 = one.imap("carol")
        res = c1.setmetadata(sub_entry("cluster-phone"),
                             sub.subscription_json(endpoint, msgtype="all"))
        self.assertTrue(res.ok, res)
        token = self.rx.wait_requests("cluster-phone", 1)[0].json()["validation"]
        c1.logout()
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
