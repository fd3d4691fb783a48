"""COI at delivery: detection end to end (CS-15), filing of chat messages
into <root>/Chats with message-filter "active" (CS-17), the $Chat keyword
(CS-19), Sieve running after COI's filing (CS-20), disabled COI (CS-11)
and no loss when Chats cannot take the message."""

import os
import shutil
import smtplib

from coitest import DovecotTestCase, Literal, message
from coitest.dovecot import MAIL_UID, MAIL_GID

CHATS = "COI/Chats"
CHAT_KW = "$Chat"

ACTIVE = {"coi_default_enabled": "yes", "coi_default_message_filter": "active"}
CONFIG = "/private/vendor/vendor.dovecot/coi/config/"
ENABLED = CONFIG + "enabled"
FILTER = CONFIG + "message-filter"


class FilingCase(DovecotTestCase):
    """Helpers shared by the filing tests."""

    def box(self, user, mailbox):
        """{Message-ID: flags} of every message in mailbox ({} when the
        mailbox does not exist)."""
        c = self.dc.imap(user)
        try:
            if c.status(mailbox) is None:
                return {}
            out = {}
            for _uid, flags, msgid in c.messages(mailbox):
                self.assertNotIn(msgid, out, "%s twice in %s" % (msgid, mailbox))
                out[msgid] = flags - {"\\Recent"}
            return out
        finally:
            c.logout()

    def create_chats(self, user):
        c = self.imap(user)
        if c.status(CHATS) is None:
            c.ok("CREATE", '"%s"' % CHATS)

    def deliver(self, how, user, msg):
        if how == "lmtp":
            code, text = self.dc.lmtp_deliver(user, msg)
            self.assertEqual(code, 250, text)
        else:
            res = self.dc.lda_deliver(user, msg)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(res.stderr, b"")

    def assert_in_only(self, user, msgid, mailbox, others=("INBOX", CHATS)):
        """msgid is in mailbox exactly once and in none of the others;
        returns its flags."""
        flags = self.box(user, mailbox).get(msgid)
        self.assertIsNotNone(flags, "%s not in %s" % (msgid, mailbox))
        for other in others:
            if other != mailbox:
                self.assertNotIn(msgid, self.box(user, other),
                                 "%s also in %s" % (msgid, other))
        return flags


class ActiveFiling(FilingCase):
    """message-filter active (admin defaults), no Sieve."""
    dovecot_args = dict(plugin=ACTIVE, debug=True)

    def _chat_to_chats(self, how, user):
        self.create_chats(user)
        msgid, msg = message(subject="filed " + how, chat=True)
        self.deliver(how, user, msg)
        flags = self.assert_in_only(user, msgid, CHATS)
        self.assertIn(CHAT_KW, flags)
        self.assertNotIn("\\Seen", flags)
        self.dc.wait_log(r"Info: .*coi: Filed chat message %s into %s"
                         % (msgid.replace("$", r"\$"), CHATS))

    def test_lmtp_chat_stored_in_chats(self):
        self._chat_to_chats("lmtp", "lmtp1")

    def test_lda_chat_stored_in_chats(self):
        self._chat_to_chats("lda", "lda1")

    def _idle_sees_no_chat(self, how, user):
        """An IDLE on INBOX sees the plain message delivered after the
        chat message as the first and only new one: the chat message never
        was in INBOX."""
        self.create_chats(user)
        watcher = self.imap(user)
        self.assertEqual(watcher.select("INBOX").get("exists"), 0)
        watcher.idle_start()
        chat_id, chat = message(subject="idle chat", chat=True)
        plain_id, plain = message(subject="idle plain")
        self.deliver(how, user, chat)
        self.deliver(how, user, plain)
        lines = watcher.idle_wait(rb"^\* \d+ EXISTS")
        watcher.idle_done()
        self.assertEqual(lines[-1], b"* 1 EXISTS", lines)
        self.assertFalse([x for x in lines if b"EXPUNGE" in x], lines)
        self.assert_in_only(user, chat_id, CHATS)
        self.assert_in_only(user, plain_id, "INBOX")

    def test_lmtp_idle_on_inbox_not_woken_by_chat(self):
        self._idle_sees_no_chat("lmtp", "idle1")

    def test_lda_idle_on_inbox_not_woken_by_chat(self):
        self._idle_sees_no_chat("lda", "idle2")

    def test_lmtp_two_recipients(self):
        """One LMTP transaction, two recipients: the first one's Chats is
        blocked (INBOX, warning), the second one's works (Chats). Each
        copy ends where it belongs, with $Chat."""
        first, second = "multi1", "multi2"
        self.dc.make_home(first)
        block_chats(self.dc, first)
        self.create_chats(second)
        self.dc.expect_log(r"Warning: .*multi1.*coi: .*%s" % CHATS)
        self.dc.expect_log(r"Error: .*multi1.*(COI/Chats|\.COI\.Chats)")
        msgid, msg = message(subject="two rcpts", chat=True)
        with smtplib.LMTP("127.0.0.1", self.dc.lmtp_port, timeout=30) as lmtp:
            lmtp.ehlo("coitest")
            self.assertEqual(lmtp.mail("sender@example.org")[0], 250)
            for user in (first, second):
                self.assertEqual(lmtp.rcpt(user + "@example.com")[0], 250)
            replies = [lmtp.data(msg.encode())[0], lmtp.getreply()[0]]
        self.assertEqual(replies, [250, 250])
        self.assertIn(CHAT_KW, self.assert_in_only(first, msgid, "INBOX", ("INBOX",)))
        self.assertIn(CHAT_KW, self.assert_in_only(second, msgid, CHATS))

    def test_plain_message_stays_in_inbox_without_chat_keyword(self):
        self.create_chats("plain1")
        for how in ("lmtp", "lda"):
            msgid, msg = message(subject="plain " + how)
            self.deliver(how, "plain1", msg)
            flags = self.assert_in_only("plain1", msgid, "INBOX")
            self.assertNotIn(CHAT_KW, flags)

    def test_detection_end_to_end(self):
        """CS-15: each way of being a COI message files it; near misses
        stay in INBOX without $Chat."""
        user = "detect1"
        self.create_chats(user)
        chats = [
            message(subject="chat-version", chat=True),
            message(subject="msgid", msgid="<chat$abc.def@example.org>"),
            message(subject="msgid comment",
                    msgid="<chat$commented@example.org> (c)"),
            message(subject="refs", references="<chat$first@example.org> <x@y>"),
            message(subject="refs folded",
                    references="\r\n <chat$folded@example.org>\r\n\t<x@y>"),
            message(subject="refs comment",
                    references="(thread)\r\n (x) <chat$c@example.org> <x@y>"),
            message(subject="group", msgid="<chat$group.4321dcba1234.ABS.29@example.com>"),
        ]
        plains = [
            message(subject="second ref", references="<x@y>\r\n <chat$second@example.org>"),
            message(subject="upper", msgid="<CHAT$upper@example.org>"),
            message(subject="inside", msgid="<x.chat$inside@example.org>"),
            message(subject="in comment", references="(<chat$c@example.org>) <x@y>"),
            message(subject="unterminated", references="<chat$open@example.org"),
        ]
        for how, (_, msg) in zip(["lmtp", "lda"] * 10, chats + plains):
            self.deliver(how, user, msg)
        in_chats = self.box(user, CHATS)
        in_inbox = self.box(user, "INBOX")
        for msgid, _ in chats:
            msgid = msgid.split()[0]
            self.assertIn(msgid, in_chats)
            self.assertIn(CHAT_KW, in_chats[msgid])
        for msgid, _ in plains:
            self.assertIn(msgid, in_inbox)
            self.assertNotIn(CHAT_KW, in_inbox[msgid])
        self.assertEqual(len(in_chats), len(chats))
        self.assertEqual(len(in_inbox), len(plains))
        self.dc.wait_log(r"Debug: .*coi: Message <chat\$abc.def@example.org> "
                         r"is a COI message")

    def test_very_long_references(self):
        """CS-15: a 100 kB References header, folded, first id chat$."""
        user = "long1"
        self.create_chats(user)
        refs = "<chat$first@example.org>" + "".join(
            "\r\n <ref.%d.padding-padding-padding@example.org>" % i for i in range(2500))
        self.assertGreater(len(refs), 100000)
        msgid, msg = message(subject="long refs", references=refs)
        self.deliver("lmtp", user, msg)
        self.assertIn(CHAT_KW, self.assert_in_only(user, msgid, CHATS))

    def test_hostile_headers(self):
        """Broken and hostile headers: every message is delivered (never a
        tempfail), chat messages to Chats, the others to INBOX."""
        user = "hostile1"
        self.create_chats(user)
        def raw(subject, headers):
            return ("From: a@example.org\r\nSubject: %s\r\n%s\r\n\r\nbody\r\n"
                    % (subject, "\r\n".join(headers))).encode("latin-1")
        cases = [
            ("empty msgid", ["Message-ID:"], False),
            ("only parens", ["Message-ID: <h1@x>", "References: " + "(" * 50000], False),
            ("unbalanced", ["Message-ID: <h2@x>", "References: " + ")" * 1000 + "<chat$x@y>"], True),
            ("8bit chat", ["Message-ID: <chat$\xe9\xff\x01@x>"], True),
            ("8bit plain", ["Message-ID: <\xe9chat$@x>"], False),
            ("two msgids", ["Message-ID: <chat$first@x>", "Message-ID: <second@x>"], True),
            ("empty chat-version", ["Message-ID: <h3@x>", "Chat-Version:"], True),
            ("folded only", ["Message-ID: <h4@x>", "References:\r\n \r\n\t"], False),
            ("huge refs", ["Message-ID: <h5@x>", "References: <chat$h@x>" + " <r@x>" * 200000], True),
        ]
        for subject, headers, _ in cases:
            code, text = self.dc.lmtp_deliver(user, raw(subject, headers))
            self.assertEqual(code, 250, (subject, text))
        c = self.imap(user)
        for subject, _, chat in cases:
            for box in ("INBOX", CHATS):
                c.select(box)
                res = c.ok("SEARCH", "SUBJECT", '"%s"' % subject)
                found = [t for tokens in res.find("SEARCH") for t in tokens[1:]]
                self.assertEqual(len(found), 1 if (box == CHATS) == chat else 0,
                                 (subject, box))

    def test_log_has_no_body(self):
        user = "log1"
        self.create_chats(user)
        secret = "BODY-SECRET-%d" % os.getpid()
        msgid, msg = message(subject="logged", chat=True, body=secret + "\n")
        self.deliver("lmtp", user, msg)
        self.assert_in_only(user, msgid, CHATS)
        self.assertFalse([line for line in self.dc.log_lines() if secret in line])

    def test_explicit_mailbox_of_lda_is_kept(self):
        """dovecot-lda -m names the mailbox: COI does not override it."""
        user = "ldam1"
        self.create_chats(user)
        self.imap(user).ok("CREATE", "Work")
        msgid, msg = message(subject="lda -m", chat=True)
        res = self.dc.lda_deliver(user, msg, args=("-m", "Work"))
        self.assertEqual(res.returncode, 0, res.stderr)
        flags = self.assert_in_only(user, msgid, "Work", ("INBOX", CHATS, "Work"))
        self.assertIn(CHAT_KW, flags)

    def test_append_keeps_client_flags(self):
        """CS-19 applies to deliveries: IMAP APPEND keeps the client's
        flags and stays where the client put it."""
        user = "append1"
        self.create_chats(user)
        c = self.imap(user)
        id1, msg1 = message(subject="append no kw", chat=True)
        id2, msg2 = message(subject="append kw", chat=True)
        c.ok("APPEND", '"INBOX"', "(\\Seen)", Literal(msg1))
        self.assertTrue(c.append("INBOX", msg2, "$Other").ok)
        inbox = self.box(user, "INBOX")
        self.assertEqual(inbox[id1], {"\\Seen"})
        self.assertEqual(inbox[id2], {"$Other"})
        self.assertEqual(self.box(user, CHATS), {})


class ChatsCreated(FilingCase):
    """COI enabled by the admin's defaults: the user never created Chats,
    the first chat message creates and subscribes it (CS-16)."""
    dovecot_args = dict(plugin=ACTIVE)

    def test_chats_created_and_subscribed_at_delivery(self):
        for how in ("lmtp", "lda"):
            user = "fresh" + how
            self.assertIsNone(self.imap(user).status(CHATS))
            msgid, msg = message(subject="fresh " + how, chat=True)
            self.deliver(how, user, msg)
            self.assertIn(CHAT_KW, self.assert_in_only(user, msgid, CHATS))
            self.assertIn(CHATS, self.imap(user).subscribed())


class ConfigChanges(FilingCase):
    """CS-11 and CS-17 through METADATA: enabling with message-filter
    active files the next chat message, disabling (enabled NIL) stops
    filing at once (the message keeps $Chat), enabling again files
    again; message-filter none stops filing too."""

    def _chat(self, user, how):
        msgid, msg = message(subject="config " + how, chat=True)
        self.deliver(how, user, msg)
        return msgid

    def test_enable_disable_enable(self):
        user = "cfg1"
        c = self.imap(user)
        for how in ("lmtp", "lda"):
            with self.subTest(how=how):
                self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
                self.assertTrue(c.setmetadata(FILTER, "active").ok)
                self.assertIn(CHAT_KW, self.assert_in_only(user, self._chat(user, how), CHATS))
                self.assertTrue(c.setmetadata(ENABLED, None).ok)
                self.assertIn(CHAT_KW, self.assert_in_only(user, self._chat(user, how), "INBOX"))
                self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
                self.assertIn(CHAT_KW, self.assert_in_only(user, self._chat(user, how), CHATS))
                self.assertTrue(c.setmetadata(FILTER, "none").ok)
                self.assertIn(CHAT_KW, self.assert_in_only(user, self._chat(user, how), "INBOX"))
                self.assertTrue(c.setmetadata(FILTER, None).ok)
                self.assertIn(CHAT_KW, self.assert_in_only(user, self._chat(user, how), "INBOX"))


class Disabled(FilingCase):
    """CS-11: with COI disabled a chat message is not filed. It still gets
    $Chat (our choice: the keyword describes the message, and clients and
    push_coi's msgtype "chat" rely on it)."""
    dovecot_args = dict(plugin={"coi_default_message_filter": "active"})

    def test_disabled_chat_stays_in_inbox_with_chat_keyword(self):
        user = "off1"
        self.create_chats(user)
        # creating Chats enables COI (CS-13): disable it again
        res = self.imap(user).setmetadata(ENABLED, None)
        self.assertTrue(res.ok, res)
        for how in ("lmtp", "lda"):
            msgid, msg = message(subject="off " + how, chat=True)
            self.deliver(how, user, msg)
            flags = self.assert_in_only(user, msgid, "INBOX")
            self.assertIn(CHAT_KW, flags)


class FilterNone(FilingCase):
    """Enabled with message-filter none: no filing, $Chat still set."""
    dovecot_args = dict(plugin={"coi_default_enabled": "yes"})

    def test_filter_none_chat_stays_in_inbox_with_chat_keyword(self):
        user = "none1"
        self.create_chats(user)
        msgid, msg = message(subject="none", chat=True)
        self.deliver("lmtp", user, msg)
        self.assertIn(CHAT_KW, self.assert_in_only(user, msgid, "INBOX"))


SIEVE_KEEP = 'require ["fileinto"];\nif header :contains "subject" "nomatch" { fileinto "X"; }\n'


class SieveFiling(FilingCase):
    """CS-20 with Pigeonhole's Sieve: COI's filing comes first, the
    implicit keep lands in Chats, an explicit fileinto wins, discard
    discards."""
    dovecot_args = dict(plugin=ACTIVE, lda_plugins="sieve")

    def _each(self, fn):
        for how in ("lmtp", "lda"):
            with self.subTest(how=how):
                fn(how)

    def test_implicit_keep_lands_in_chats(self):
        def run(how):
            user = "skeep" + how
            self.create_chats(user)
            self.dc.write_sieve(user, SIEVE_KEEP)
            msgid, msg = message(subject="keep " + how, chat=True)
            self.deliver(how, user, msg)
            self.assertIn(CHAT_KW, self.assert_in_only(user, msgid, CHATS))
        self._each(run)

    def test_explicit_keep_lands_in_chats(self):
        def run(how):
            user = "sexkeep" + how
            self.create_chats(user)
            self.dc.write_sieve(user, "keep;\n")
            msgid, msg = message(subject="explicit keep " + how, chat=True)
            self.deliver(how, user, msg)
            self.assertIn(CHAT_KW, self.assert_in_only(user, msgid, CHATS))
        self._each(run)

    def test_explicit_fileinto_wins(self):
        def run(how):
            user = "sfile" + how
            self.create_chats(user)
            self.imap(user).ok("CREATE", "Work")
            self.dc.write_sieve(user, 'require ["fileinto"];\nfileinto "Work";\n')
            msgid, msg = message(subject="fileinto " + how, chat=True)
            self.deliver(how, user, msg)
            flags = self.assert_in_only(user, msgid, "Work", ("INBOX", CHATS, "Work"))
            self.assertIn(CHAT_KW, flags)
        self._each(run)

    def test_explicit_fileinto_inbox_wins(self):
        def run(how):
            user = "sinbox" + how
            self.create_chats(user)
            self.dc.write_sieve(user, 'require ["fileinto"];\nfileinto "INBOX";\n')
            msgid, msg = message(subject="fileinto inbox " + how, chat=True)
            self.deliver(how, user, msg)
            self.assertIn(CHAT_KW, self.assert_in_only(user, msgid, "INBOX"))
        self._each(run)

    def test_fileinto_and_keep(self):
        def run(how):
            user = "sboth" + how
            self.create_chats(user)
            self.imap(user).ok("CREATE", "Work")
            self.dc.write_sieve(user, 'require ["fileinto"];\nfileinto "Work";\nkeep;\n')
            msgid, msg = message(subject="both " + how, chat=True)
            self.deliver(how, user, msg)
            self.assertIn(CHAT_KW, self.box(user, "Work")[msgid])
            self.assertIn(CHAT_KW, self.box(user, CHATS)[msgid])
            self.assertNotIn(msgid, self.box(user, "INBOX"))
        self._each(run)

    def test_discard_discards(self):
        def run(how):
            user = "sdisc" + how
            self.create_chats(user)
            self.dc.write_sieve(user, "discard;\n")
            msgid, msg = message(subject="discard " + how, chat=True)
            self.deliver(how, user, msg)
            self.assertEqual(self.box(user, CHATS), {})
            self.assertEqual(self.box(user, "INBOX"), {})
        self._each(run)

    def test_plain_message_keeps_to_inbox(self):
        def run(how):
            user = "splain" + how
            self.create_chats(user)
            self.dc.write_sieve(user, SIEVE_KEEP)
            msgid, msg = message(subject="plain sieve " + how)
            self.deliver(how, user, msg)
            self.assertNotIn(CHAT_KW, self.assert_in_only(user, msgid, "INBOX"))
        self._each(run)

    def test_no_script_files_into_chats(self):
        def run(how):
            user = "snone" + how
            self.create_chats(user)
            msgid, msg = message(subject="no script " + how, chat=True)
            self.deliver(how, user, msg)
            self.assertIn(CHAT_KW, self.assert_in_only(user, msgid, CHATS))
        self._each(run)


def chats_dir(dc, user):
    """Maildir++ directory of COI/Chats."""
    return os.path.join(dc.home(user), "Maildir", ".COI.Chats")


def block_chats(dc, user):
    """Puts a file where the COI/Chats maildir would be."""
    path = chats_dir(dc, user)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.chown(os.path.dirname(path), MAIL_UID, MAIL_GID)
    with open(path, "w") as f:
        f.write("not a maildir\n")


class NoLoss(FilingCase):
    """When Chats cannot take the message it is delivered to INBOX
    exactly once, with a warning; never a tempfail or a bounce."""
    dovecot_args = dict(plugin=ACTIVE)

    def _blocked(self, user, block):
        for how in ("lmtp", "lda"):
            with self.subTest(how=how):
                self.dc.mark_log()
                self.dc.make_home(user)
                block(user)
                self.dc.expect_log(r"Warning: .*coi: .*%s" % CHATS)
                # Dovecot's own errors about the broken mailbox
                self.dc.expect_log(r"Error: .*(COI/Chats|\.COI\.Chats)")
                msgid, msg = message(subject="blocked " + how, chat=True)
                self.deliver(how, user, msg)
                self.assertIn(CHAT_KW, self.assert_in_only(user, msgid, "INBOX", ("INBOX",)))
                self.dc.wait_log(r"Warning: .*coi: .*%s" % CHATS)
                self.dc.check_log()
                user += "x"

    def test_chats_name_is_a_file(self):
        self._blocked("file1", lambda user: block_chats(self.dc, user))

    def test_chats_not_writable(self):
        def block(user):
            self.create_chats(user)
            for sub in ("", "new", "tmp", "cur"):
                os.chmod(os.path.join(chats_dir(self.dc, user), sub), 0o500)
        self._blocked("perm1", block)


class NoLossSieve(NoLoss):
    """The same with Sieve's implicit keep doing the save."""
    dovecot_args = dict(plugin=ACTIVE, lda_plugins="sieve")

    def _blocked(self, user, block):
        def block_and_script(u):
            self.dc.write_sieve(u, SIEVE_KEEP)
            # Sieve reports its failed keep; COI then saves into INBOX
            self.dc.expect_log(r"Error: sieve: Execution of script .* aborted "
                               r"due to temporary failure")
            block(u)
        super()._blocked(user, block_and_script)


class NoLossQuota(FilingCase):
    """Quota: the user's limit is tiny, but INBOX gets 10 MB more
    (quota_rule for the mailbox): Chats is full, INBOX has room. The chat
    message ends in INBOX once."""
    dovecot_args = dict(
        mail_plugins="quota coi",
        plugin=dict(ACTIVE, quota="maildir:User quota",
                    quota_rule="*:storage=2k",
                    quota_rule2="INBOX:storage=+10M"))

    def test_quota_exceeded_in_chats_goes_to_inbox(self):
        for how in ("lmtp", "lda"):
            with self.subTest(how=how):
                user = "quota" + how
                self.create_chats(user)
                self.dc.expect_log(r"Warning: .*coi: .*%s" % CHATS)
                small_id, small = message(subject="small " + how, chat=True)
                self.deliver(how, user, small)
                self.assert_in_only(user, small_id, CHATS)
                big_id, big = message(subject="big " + how, chat=True, body="x" * 4000 + "\n")
                self.deliver(how, user, big)
                self.assertIn(CHAT_KW, self.assert_in_only(user, big_id, "INBOX"))
                self.dc.wait_log(r"Warning: .*coi: Saving the chat message .* into %s failed"
                                 r".*[Qq]uota" % CHATS)


class NoLossQuotaSieve(NoLossQuota):
    """The same with Sieve's implicit keep doing the save."""
    dovecot_args = dict(NoLossQuota.dovecot_args, lda_plugins="sieve")

    def setUp(self):
        super().setUp()
        for how in ("lmtp", "lda"):
            self.dc.write_sieve("quota" + how, SIEVE_KEEP)
