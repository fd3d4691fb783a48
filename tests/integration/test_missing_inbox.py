"""A user whose INBOX cannot be opened (its directory cannot be created):
COI never asserts. IMAP METADATA and deliveries fail as they fail
without COI, with errors, but no Panic or Fatal line (issue 3: missing
INBOX never asserts)."""

from coitest import DovecotTestCase, message

C = "/private/vendor/vendor.dovecot/coi/config"
ACTIVE = {"coi_default_enabled": "yes", "coi_default_message_filter": "active"}
# /proc refuses new directories, so INBOX can never exist
BROKEN = "mail_location = maildir:~/Maildir:INBOX=/proc/coitest-no-inbox/%u\n"


class MissingInboxBase(DovecotTestCase):
    def outcome(self):
        """(SETMETADATA status, GETMETADATA status, LMTP code, lda exit code)."""
        # Dovecot's own errors about the INBOX it cannot create
        self.dc.expect_log(r"Error: ")
        self.dc.expect_log(r"Warning: ")
        c = self.imap("nobox")
        set_res = c.setmetadata(C + "/enabled", "yes")
        get_res, _ = c.getmetadata(C, depth=1)
        code, _ = self.dc.lmtp_deliver("nobox", message(subject="chat", chat=True)[1])
        lda = self.dc.lda_deliver("nobox", message(subject="plain")[1])
        for line in self.dc.log_lines():
            self.assertNotRegex(line, r"Panic:|Fatal:|assertion failed")
        return set_res.status, get_res.status, code, lda.returncode


class MissingInboxWithCoi(MissingInboxBase):
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi", plugin=ACTIVE,
                        extra_conf=BROKEN)

    def test_missing_inbox_never_asserts(self):
        set_status, get_status, code, lda_rc = self.outcome()
        self.assertEqual(set_status, "NO")
        # as without COI (MissingInboxWithoutCoi): a temporary failure
        self.assertEqual(code // 100, 4)
        self.assertEqual(lda_rc, 75)


class MissingInboxWithoutCoi(MissingInboxBase):
    """The same user without our plugins, for comparison."""
    dovecot_args = dict(mail_plugins="", imap_plugins="", extra_conf=BROKEN)

    def test_missing_inbox_without_coi(self):
        set_status, get_status, code, lda_rc = self.outcome()
        self.assertEqual(set_status, "NO")
        self.assertEqual(code // 100, 4)
        self.assertEqual(lda_rc, 75)
