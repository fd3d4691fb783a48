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
from coitest.redis import Redis


def redis_dict_conf(redis):
    return ("dict {\n  coiattr = %s\n}\n"
            "service dict {\n  unix_listener dict {\n    mode = 0666\n  }\n}\n" % redis.dict_uri)

COI = "/private/vendor/vendor.dovecot/coi/config"


class TwoServersOneRedis(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis().start()
        cls.homes = tempfile.mkdtemp(prefix="coihomes-")
        os.chown(cls.homes, MAIL_UID, MAIL_GID)
        cls.servers = []
        try:
            for _ in range(2):
                dc = Dovecot(mail_plugins="coi", imap_plugins="imap_coi",
                             attribute_dict="proxy::coiattr",
                             extra_conf=redis_dict_conf(cls.redis), home_root=cls.homes)
                cls.servers.append(dc.start())
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for dc in cls.servers:
            dc.cleanup()
        cls.redis.stop()
        shutil.rmtree(cls.homes, ignore_errors=True)

    def setUp(self):
        for dc in self.servers:
            dc.mark_log()

    def tearDown(self):
        for dc in self.servers:
            dc.check_log()

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
