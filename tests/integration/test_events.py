"""Named events for Dovecot's stats (doc/events.md): a metric { } on each
event name in the test Dovecot, read back with doveadm stats dump. Each
test resets the metrics first, so its counts are its own."""

import os
import shutil

import test_filing as filing
from coitest import message
from coitest.dovecot import MAIL_UID, MAIL_GID

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
