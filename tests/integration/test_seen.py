"""message-filter "seen" (CS-18): a COI message stays in INBOX until it
gets \\Seen, then the server moves it to <root>/Chats."""

import os

from coitest import message
from test_filing import CHATS, CHAT_KW, FilingCase, chats_dir

SEEN = {"coi_default_enabled": "yes", "coi_default_message_filter": "seen"}


class SeenMode(FilingCase):
    dovecot_args = dict(plugin=SEEN)

    def _deliver_pair(self, user):
        """A chat and a plain message in INBOX; returns their ids and the
        client that has INBOX selected."""
        self.create_chats(user)
        chat_id, chat = message(subject="seen chat", chat=True)
        plain_id, plain = message(subject="seen plain")
        self.deliver("lmtp", user, chat)
        self.deliver("lda", user, plain)
        # delivered, not yet seen: both in INBOX
        inbox = self.box(user, "INBOX")
        self.assertIn(CHAT_KW, inbox[chat_id])
        self.assertNotIn("\\Seen", inbox[chat_id])
        self.assertIn(plain_id, inbox)
        self.assertEqual(self.box(user, CHATS), {})
        c = self.imap(user)
        c.select("INBOX")
        return chat_id, plain_id, c

    def _uid(self, c, msgid):
        res = c.ok("UID SEARCH", "HEADER", "Message-ID", '"%s"' % msgid)
        uids = [int(t) for tokens in res.find("SEARCH") for t in tokens[1:]]
        self.assertEqual(len(uids), 1, uids)
        return uids[0]

    def _assert_moved(self, user, c, res, chat_id, plain_id):
        flags = self.assert_in_only(user, chat_id, CHATS)
        self.assertIn("\\Seen", flags)
        self.assertIn(CHAT_KW, flags)
        self.assert_in_only(user, plain_id, "INBOX")
        # the session that set \Seen learns of the expunge (with the
        # command's answer already, or at the next sync)
        noop = c.ok("NOOP")
        self.assertEqual(len(res.find("EXPUNGE") + noop.find("EXPUNGE")), 1,
                         (res, noop))
        self.dc.wait_log(r"Info: .*coi: Moved seen chat message %s from INBOX to %s"
                         % (chat_id.replace("$", r"\$"), CHATS))

    def test_store_seen_moves_chat_to_chats(self):
        user = "store1"
        chat_id, plain_id, c = self._deliver_pair(user)
        res = c.ok("UID STORE", str(self._uid(c, chat_id)), "+FLAGS", "(\\Seen)")
        self._assert_moved(user, c, res, chat_id, plain_id)

    def test_fetch_body_moves_chat_to_chats(self):
        user = "fetch1"
        chat_id, plain_id, c = self._deliver_pair(user)
        res = c.ok("UID FETCH", str(self._uid(c, chat_id)), "(BODY[])")
        self.assertTrue(res.find("FETCH"))
        self._assert_moved(user, c, res, chat_id, plain_id)

    def test_plain_message_seen_stays_in_inbox(self):
        user = "plainseen1"
        chat_id, plain_id, c = self._deliver_pair(user)
        c.ok("UID STORE", str(self._uid(c, plain_id)), "+FLAGS", "(\\Seen)")
        c.ok("UID FETCH", str(self._uid(c, plain_id)), "(BODY[])")
        self.assertIn("\\Seen", self.box(user, "INBOX")[plain_id])
        self.assertNotIn("\\Seen", self.box(user, "INBOX")[chat_id])
        self.assertEqual(self.box(user, CHATS), {})

    def test_peek_and_other_flags_do_not_move(self):
        user = "peek1"
        chat_id, _, c = self._deliver_pair(user)
        uid = self._uid(c, chat_id)
        c.ok("UID FETCH", str(uid), "(BODY.PEEK[])")
        c.ok("UID STORE", str(uid), "+FLAGS", "(\\Flagged)")
        self.assertIn("\\Flagged", self.assert_in_only(user, chat_id, "INBOX"))

    def test_store_replace_flags_with_seen_moves(self):
        user = "replace1"
        chat_id, plain_id, c = self._deliver_pair(user)
        c.ok("UID STORE", str(self._uid(c, chat_id)), "FLAGS", "(\\Seen $Chat \\Answered)")
        flags = self.assert_in_only(user, chat_id, CHATS)
        self.assertTrue({"\\Seen", "\\Answered", CHAT_KW} <= flags, flags)

    def test_doveadm_flags_add_seen_moves(self):
        user = "doveadm1"
        chat_id, plain_id, c = self._deliver_pair(user)
        self.dc.doveadm("flags", "add", "-u", user, "\\Seen",
                        "mailbox", "INBOX", "header", "Message-ID", chat_id)
        self.assert_in_only(user, chat_id, CHATS)
        self.assert_in_only(user, plain_id, "INBOX")

    def test_seen_in_other_mailbox_does_not_move(self):
        user = "other1"
        self.create_chats(user)
        c = self.imap(user)
        c.ok("CREATE", "Work")
        chat_id, chat = message(subject="work chat", chat=True)
        self.assertTrue(c.append("Work", chat).ok)
        c.select("Work")
        c.ok("UID STORE", "1:*", "+FLAGS", "(\\Seen)")
        self.assertIn("\\Seen", self.assert_in_only(user, chat_id, "Work", ("Work", CHATS)))

    def test_chats_created_when_missing(self):
        user = "seenfresh1"
        chat_id, chat = message(subject="fresh seen", chat=True)
        self.deliver("lmtp", user, chat)
        self.assertIsNone(self.imap(user).status(CHATS))
        c = self.imap(user)
        c.select("INBOX")
        c.ok("UID STORE", str(self._uid(c, chat_id)), "+FLAGS", "(\\Seen)")
        self.assertIn("\\Seen", self.assert_in_only(user, chat_id, CHATS))
        self.assertIn(CHATS, self.imap(user).subscribed())

    def test_chats_unusable_message_stays_in_inbox(self):
        """No loss: Chats cannot be written, the seen message stays in
        INBOX with a warning."""
        user = "seenperm1"
        chat_id, plain_id, c = self._deliver_pair(user)
        for sub in ("", "new", "tmp", "cur"):
            os.chmod(os.path.join(chats_dir(self.dc, user), sub), 0o500)
        self.dc.expect_log(r"Warning: .*coi: .*seen chat message.*%s" % CHATS)
        self.dc.expect_log(r"Error: .*(COI/Chats|\.COI\.Chats)")
        c.ok("UID STORE", str(self._uid(c, chat_id)), "+FLAGS", "(\\Seen)")
        self.assertIn("\\Seen", self.assert_in_only(user, chat_id, "INBOX"))
        self.dc.wait_log(r"Warning: .*coi: .*seen chat message.*%s" % CHATS)


class ActiveDoesNotMoveSeen(FilingCase):
    """With message-filter active, \\Seen on a chat message in INBOX (here
    one a client appended) moves nothing."""
    dovecot_args = dict(plugin=dict(SEEN, coi_default_message_filter="active"))

    def test_active_seen_chat_in_inbox_stays(self):
        user = "activeseen1"
        self.create_chats(user)
        chat_id, chat = message(subject="appended chat", chat=True)
        c = self.imap(user)
        self.assertTrue(c.append("INBOX", chat, "$Chat").ok)
        c.select("INBOX")
        c.ok("UID STORE", "1:*", "+FLAGS", "(\\Seen)")
        self.assertEqual(self.assert_in_only(user, chat_id, "INBOX"), {"\\Seen", CHAT_KW})
