"""Named events for Dovecot's stats (doc/events.md): a metric { } on each
event name in the test Dovecot, read back with doveadm stats dump. Each
test resets the metrics first, so its counts are its own."""

import os
import shutil

import test_filing as filing
import test_webpush_http
import test_webpush_metadata as wpm
import test_webpush_push as wpp
from coitest import message
from coitest.dovecot import MAIL_UID, MAIL_GID
from coitest.webpush import TokenTestCase, sub_entry

CHATS = filing.CHATS
METRICS = """
metric coi_chat_filed {
  filter = event=coi_chat_filed
  group_by = mode mailbox
}
metric coi_chat_filing_fallback {
  filter = event=coi_chat_filing_fallback
  group_by = reason mode
}
"""


class EventsCase(filing.FilingCase):
    def setUp(self):
        super().setUp()
        self.dc.stats_dump(reset=True)

    def assert_count(self, metric, count):
        """metric (a sub-metric name) counted exactly count events."""
        self.assertEqual(self.dc.wait_stats(metric, count)["count"], count)


class ActiveFilingEvents(EventsCase):
    dovecot_args = dict(plugin=filing.ACTIVE, extra_conf=METRICS)

    def test_chat_filed_active(self):
        self.create_chats("alice")
        for how in ("lmtp", "lda"):
            msgid, msg = message(subject="event " + how, chat=True)
            self.deliver(how, "alice", msg)
            self.assert_in_only("alice", msgid, CHATS)
        self.assert_count("coi_chat_filed", 2)
        self.assert_count("coi_chat_filed_active", 2)
        self.assert_count("coi_chat_filed_active_" + CHATS, 2)
        # plain mail is no chat message: no event
        self.deliver("lmtp", "alice", message(subject="plain")[1])
        self.assertEqual(self.dc.stats_dump()[("coi_chat_filed", "duration")]["count"], 2)
        self.assertNotIn(("coi_chat_filing_fallback", "duration"), self.nonzero())

    def nonzero(self):
        return {k: v for k, v in self.dc.stats_dump().items() if v["count"] > 0}

    def test_fallback_chats_unavailable(self):
        user = "blocked"
        path = filing.chats_dir(self.dc, user)
        self.dc.make_home(user)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.chown(os.path.dirname(path), MAIL_UID, MAIL_GID)
        with open(path, "w") as f:
            f.write("not a maildir\n")
        self.dc.expect_log(r"Warning: .*coi: .*%s" % CHATS)
        self.dc.expect_log(r"Error: .*(COI/Chats|\.COI\.Chats)")
        msgid, msg = message(subject="fallback", chat=True)
        self.deliver("lmtp", user, msg)
        self.assert_in_only(user, msgid, "INBOX", ("INBOX",))
        self.assert_count("coi_chat_filing_fallback", 1)
        self.assert_count("coi_chat_filing_fallback_chats_unavailable_active", 1)
        self.assertNotIn(("coi_chat_filed", "duration"), self.nonzero())


class SaveFailedEvents(EventsCase):
    """Chats over quota: the save fails, the message goes to INBOX."""
    dovecot_args = dict(filing.NoLossQuota.dovecot_args, extra_conf=METRICS)

    def test_fallback_save_failed(self):
        user = "quota1"
        self.create_chats(user)
        self.dc.expect_log(r"Warning: .*coi: .*%s" % CHATS)
        big_id, big = message(subject="big", chat=True, body="x" * 4000 + "\n")
        self.deliver("lmtp", user, big)
        self.assert_in_only(user, big_id, "INBOX")
        self.assert_count("coi_chat_filing_fallback_save_failed_active", 1)


class SeenFilingEvents(EventsCase):
    dovecot_args = dict(plugin=dict(filing.ACTIVE, coi_default_message_filter="seen"),
                        extra_conf=METRICS)

    def test_chat_filed_seen(self):
        self.create_chats("carol")
        msgid, msg = message(subject="seen event", chat=True)
        self.deliver("lmtp", "carol", msg)
        c = self.imap("carol")
        c.select("INBOX")
        c.ok("STORE", "1", "+FLAGS", "(\\Seen)")
        self.assert_in_only("carol", msgid, CHATS)
        self.assert_count("coi_chat_filed_seen_" + CHATS, 1)
        self.assert_count("coi_chat_filed", 1)


class PushEventsTransport(test_webpush_http.WebpushToolCase):
    """webpush_sent and webpush_failed as the real sender sends them over
    HTTPS to the test push receiver (webpush-send tool, WEBPUSH_EVENTS):
    the fields a metric gets. The same events through a Dovecot delivery
    need the push-notification driver."""

    def run_with_events(self, pushes, allowed_networks="127.0.0.0/8", **settings):
        os.environ["WEBPUSH_EVENTS"] = "event=webpush_sent OR event=webpush_failed"
        try:
            events, log = self.run_tool(pushes, self.settings(**settings),
                                        allowed_networks=allowed_networks)
        finally:
            del os.environ["WEBPUSH_EVENTS"]
        # the event is sent just before the push's outcome callback
        named, last = {}, None
        for e in events:
            if e["event"] == "named":
                last = e
            elif e["event"] == "outcome":
                if last is not None:
                    named[e["id"]] = last
                last = None
        return named, log

    def test_sent_and_failed_fields(self):
        for name, answers in (("ok", (201,)), ("retried", (500, 503, 201)),
                              ("gone", (410,)), ("rejected", (403,))):
            self.rx.subscriber(name)
            self.rx.answer(name, *answers)
        named, _ = self.run_with_events([self.push(n) for n in
                                         ("ok", "retried", "gone", "rejected")])
        origin = self.rx.origin()
        self.assertEqual(set(named), {"ok", "retried", "gone", "rejected"})
        for push_id, name, result, status, retries in (
                ("ok", "webpush_sent", "delivered", 201, 0),
                ("retried", "webpush_sent", "delivered", 201, 2),
                ("gone", "webpush_failed", "gone", 410, 0),
                ("rejected", "webpush_failed", "rejected", 403, 0)):
            e = named[push_id]
            f = e["fields"]
            self.assertEqual((e["name"], f["result"], f["status_code"], f["retries"]),
                             (name, result, status, retries), e)
            # the origin only: the path identifies the subscriber
            self.assertEqual(f["endpoint_origin"], origin)
            self.assertFalse(any("/push/" in str(v) for v in f.values()), f)
            self.assertEqual(f["user"], "alice")
            self.assertEqual("error" in f, name == "webpush_failed")
        self.assertIn("403", named["rejected"]["fields"]["error"])
        # duration covers the retries (two backoff delays of 100 and 200 ms)
        self.assertGreaterEqual(named["retried"]["duration_usecs"], 300000)

    def test_failed_without_answer(self):
        # loopback is not exempt here: the address policy refuses the
        # connection, no answer comes (status_code 0)
        named, _ = self.run_with_events([self.push("refused")], allowed_networks=None)
        f = named["refused"]["fields"]
        self.assertEqual((named["refused"]["name"], f["result"], f["status_code"]),
                         ("webpush_failed", "rejected", 0))
        self.assertIn("loopback", f["error"])


SUB_METRICS = """
metric webpush_subscription_added {
  filter = event=webpush_subscription_added
  group_by = msgtype endpoint_origin
}
metric webpush_subscription_removed {
  filter = event=webpush_subscription_removed
  group_by = reason
}
metric webpush_subscription_validated {
  filter = event=webpush_subscription_validated
}
"""


class SubscriptionEvents(TokenTestCase):
    @classmethod
    def extra_args(cls):
        return {"extra_conf": SUB_METRICS}

    def setUp(self):
        super().setUp()
        self.dc.stats_dump(reset=True)

    def test_added_validated_removed(self):
        c = self.imap("alice")
        endpoint = "https://push.example.net:8443/secret/path"
        value = wpm.sub_value(msgtype="chat", endpoint=endpoint)
        for sub_id in ("events-0001", "events-0002"):
            self.assertTrue(c.setmetadata(sub_entry(sub_id), value).ok)
        self.assertTrue(c.setmetadata(sub_entry("events-0001") + "/validate",
                                      self.token("alice", "events-0001", endpoint)).ok)
        self.assertTrue(c.setmetadata(sub_entry("events-0002"), None).ok)
        # doveadm webpush remove goes the same way
        self.dc.doveadm("webpush", "remove", "-u", "alice", "events-0001")
        self.assertEqual(self.dc.wait_stats("webpush_subscription_added", 2)["count"], 2)
        # the origin only: no path in any field
        self.assertEqual(self.dc.wait_stats(
            "webpush_subscription_added_chat_https://push.example.net:8443", 2)["count"], 2)
        self.assertEqual(self.dc.wait_stats("webpush_subscription_validated", 1)["count"], 1)
        self.assertEqual(self.dc.wait_stats(
            "webpush_subscription_removed_unsubscribed", 2)["count"], 2)
        self.assertFalse([k for k in self.dc.stats_dump() if "secret" in k[0]])


PUSH_METRICS = """
metric webpush_sent {
  filter = event=webpush_sent
  fields = status_code retries
  group_by = endpoint_origin
}
metric webpush_failed {
  filter = event=webpush_failed
  fields = status_code
  group_by = result
}
metric webpush_subscription_removed {
  filter = event=webpush_subscription_removed
  group_by = reason
}
"""


class PushStats(wpp.PushCase):
    """webpush_sent and webpush_failed of real pushes for delivered mail,
    counted by the test Dovecot's stats."""

    @classmethod
    def extra_args(cls):
        return {"extra_conf": PUSH_METRICS}

    def test_sent_and_failed_counted(self):
        c = self.imap("ps1")
        self.subscribe(c, "ps1", "ps1-phone")
        self.subscribe(c, "ps1", "ps1-refused")
        self.rx.answer("ps1-refused", 403)
        # the two validation pushes are counted once imap has their
        # answers: wait for them, so that the reset below drops both
        self.dc.wait_stats("webpush_sent", 2)
        self.dc.expect_log(r"Error: push-coi: push ps1(@example.com)?/ps1-refused-subscription: "
                           r"The push service rejected the push: HTTP 403")
        self.dc.stats_dump(reset=True)
        self.assertEqual(self.dc.lmtp_deliver("ps1", message(subject="counted")[1])[0], 250)
        self.wait_payloads("ps1-phone", 1)
        self.rx.wait_requests("ps1-refused", 2)
        sent = self.dc.wait_stats("webpush_sent", 1, field="status_code")
        self.assertEqual((sent["count"], sent["sum"]), (1, 201))
        self.assertEqual(self.dc.wait_stats("webpush_sent", 1, field="retries")["sum"], 0)
        by_origin = self.dc.wait_stats("webpush_sent_" + self.rx.origin(), 1)
        self.assertEqual(by_origin["count"], 1)
        failed = self.dc.wait_stats("webpush_failed_rejected", 1, field="status_code")
        self.assertEqual((failed["count"], failed["sum"]), (1, 403))
        self.assertEqual(self.dc.stats_dump()[("webpush_failed", "duration")]["count"], 1)

    def test_gone_counted(self):
        """A 404/410 answer (here to doveadm webpush test): the push failed
        as gone, and the subscription is removed with reason gone."""
        c = self.imap("ps2")
        self.subscribe(c, "ps2", "ps2-dead")
        self.rx.answer("ps2-dead", 410)
        self.dc.wait_stats("webpush_sent", 1)
        self.dc.stats_dump(reset=True)
        res = self.dc.doveadm("webpush", "test", "-u", "ps2", "ps2-dead-subscription",
                              check=False)
        self.assertEqual(res.returncode, 68, res.stderr)
        gone = self.dc.wait_stats("webpush_failed_gone", 1, field="status_code")
        self.assertEqual((gone["count"], gone["sum"]), (1, 410))
        self.assertEqual(self.dc.wait_stats("webpush_subscription_removed_gone", 1)["count"], 1)
        self.assertNotIn(("webpush_sent", "duration"),
                         {k for k, v in self.dc.stats_dump().items() if v["count"]})
