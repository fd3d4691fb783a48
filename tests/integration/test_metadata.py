"""COI configuration as server METADATA (CS-01..CS-04, CS-06..CS-09, CS-16
value rules): exact values and error texts, NIL, DEPTH, hostile values,
with and without imap_metadata, per-user mailbox root, admin defaults, and
deliveries that keep working with the configuration stored."""

from coitest import DovecotTestCase, message, quote

C = "/private/vendor/vendor.dovecot/coi/config"
ENABLED = C + "/enabled"
FILTER = C + "/message-filter"
ROOT = C + "/mailbox-root"

ENABLED_ERR = 'invalid value for %s: "%%s"' % ENABLED
FILTER_ERR = "invalid value for %s: %%s" % FILTER
ROOT_REFUSED = "unable to set %s" % ROOT


def tagged_text(res):
    """The tagged response text without Dovecot's timing suffix."""
    text = res.text
    if text.endswith(" secs)."):
        text = text[:text.rindex(" (")]
    return text


class MetadataMixin:
    """Helpers shared by the test classes below."""

    user_counter = 0

    def fresh_user(self):
        MetadataMixin.user_counter += 1
        name = "%s%d" % (self.__class__.__name__.lower(), MetadataMixin.user_counter)
        self.dc.make_home(name)
        return name

    def assert_no(self, res, text):
        self.assertEqual(res.status, "NO", res)
        self.assertEqual(tagged_text(res), "[CANNOT] " + text)

    def depth1(self, c):
        res, values = c.getmetadata(C, depth=1)
        self.assertTrue(res.ok, res)
        return res, values


class CoiConfig(MetadataMixin, DovecotTestCase):
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi")

    # --- CS-06: readable, mailbox-root always exists ----------------------

    def test_cs06_mailbox_root_exists_with_default(self):
        c = self.imap(self.fresh_user())
        self.assertEqual(c.getmeta(ROOT), "COI")
        self.assertEqual(c.getmeta(FILTER), "none")
        self.assertIsNone(c.getmeta(ENABLED))

    def test_cs06_mailbox_root_exists_after_nil(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ROOT, None).ok)
        self.assertEqual(c.getmeta(ROOT), "COI")

    # --- CS-07: per-user root refused (default) ---------------------------

    def test_cs07_mailbox_root_refused(self):
        c = self.imap(self.fresh_user())
        self.assert_no(c.setmetadata(ROOT, "MyChats"), ROOT_REFUSED)
        self.assertEqual(c.getmeta(ROOT), "COI")

    def test_cs07_mailbox_root_refused_even_for_same_value(self):
        c = self.imap(self.fresh_user())
        self.assert_no(c.setmetadata(ROOT, "COI"), ROOT_REFUSED)

    # --- CS-08: DEPTH 1 gives all three in one response -------------------

    def test_cs08_depth1_returns_all_three_in_one_response(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertTrue(c.setmetadata(FILTER, "active").ok)
        res, values = self.depth1(c)
        self.assertEqual(len(res.find("METADATA")), 1, res)
        self.assertEqual(res.find("METADATA")[0][1], "")
        self.assertEqual(values, {ENABLED: "yes", ROOT: "COI", FILTER: "active"})

    def test_cs08_depth1_when_disabled_lists_root_and_filter(self):
        c = self.imap(self.fresh_user())
        res, values = self.depth1(c)
        self.assertEqual(len(res.find("METADATA")), 1, res)
        self.assertEqual(values, {ROOT: "COI", FILTER: "none"})

    def test_cs08_depth_infinity_and_depth0(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        res, values = c.getmetadata(C, depth="infinity")
        self.assertTrue(res.ok, res)
        self.assertEqual(values, {ENABLED: "yes", ROOT: "COI", FILTER: "none"})
        # DEPTH 0 on the config node itself: it has no value
        res, values = c.getmetadata(C)
        self.assertTrue(res.ok, res)
        self.assertEqual(values, {C: None})

    def test_cs02_getmetadata_several_entries(self):
        c = self.imap(self.fresh_user())
        res, values = c.getmetadata([ENABLED, ROOT, FILTER])
        self.assertTrue(res.ok, res)
        self.assertEqual(values, {ENABLED: None, ROOT: "COI", FILTER: "none"})

    # --- CS-09: enabled ----------------------------------------------------

    def test_cs09_enabled_accepts_yes(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertEqual(c.getmeta(ENABLED), "yes")

    def test_cs09_enabled_accepts_quoted_string_and_atom(self):
        c = self.imap(self.fresh_user())
        res = c.command("SETMETADATA", '""', "(%s %s)" % (quote(ENABLED), quote("yes")))
        self.assertTrue(res.ok, res)
        self.assertEqual(c.getmeta(ENABLED), "yes")
        self.assertTrue(c.setmetadata(ENABLED, None).ok)
        res = c.command("SETMETADATA", '""', '(%s "YES")' % quote(ENABLED))
        self.assert_no(res, ENABLED_ERR % "YES")

    def test_cs09_enabled_rejects_uppercase(self):
        c = self.imap(self.fresh_user())
        for value in ("YES", "Yes", "yEs"):
            self.assert_no(c.setmetadata(ENABLED, value), ENABLED_ERR % value)
        self.assertIsNone(c.getmeta(ENABLED))

    def test_cs09_enabled_rejects_other_values(self):
        c = self.imap(self.fresh_user())
        for value in ("no", "true", "1", "yes ", " yes", "y", "NIL", "none"):
            self.assert_no(c.setmetadata(ENABLED, value), ENABLED_ERR % value)
        self.assertIsNone(c.getmeta(ENABLED))

    def test_cs09_enabled_rejects_empty_string(self):
        c = self.imap(self.fresh_user())
        self.assert_no(c.setmetadata(ENABLED, ""), ENABLED_ERR % "")
        res = c.command("SETMETADATA", '""', '(%s "")' % quote(ENABLED))
        self.assert_no(res, ENABLED_ERR % "")

    def test_cs09_enabled_rejects_very_long_value(self):
        c = self.imap(self.fresh_user())
        res = c.setmetadata(ENABLED, "yes" * 100000)
        self.assertEqual(res.status, "NO", res)
        text = tagged_text(res)
        self.assertTrue(text.startswith('[CANNOT] invalid value for %s: "yesyes' % ENABLED), text)
        self.assertLess(len(text), 300)
        # the session goes on
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)

    def test_cs09_enabled_rejects_binary(self):
        c = self.imap(self.fresh_user())
        for value in (b"yes\x00", b"\x00yes", b"y\xffs", b"yes\r\n", b"\x1b[0m"):
            res = c.command("SETMETADATA", '""',
                            b"(" + quote(ENABLED).encode() + b" ~{%d+}\r\n" % len(value)
                            + value + b")")
            self.assertEqual(res.status, "NO", (value, res))
            self.assertTrue(tagged_text(res).startswith(
                '[CANNOT] invalid value for %s: "' % ENABLED), res)
        self.assertIsNone(c.getmeta(ENABLED))
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)

    def test_cs09_enabled_nil_removes(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertTrue(c.setmetadata(ENABLED, None).ok)
        self.assertIsNone(c.getmeta(ENABLED))
        self.assertEqual(self.depth1(c)[1], {ROOT: "COI", FILTER: "none"})

    def test_cs09_rejected_value_keeps_stored_one(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assert_no(c.setmetadata(ENABLED, "no"), ENABLED_ERR % "no")
        self.assertEqual(c.getmeta(ENABLED), "yes")

    def test_cs09_entry_names_are_case_insensitive(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED.upper().replace("/PRIVATE", "/private"), "yes").ok)
        self.assertEqual(c.getmeta(ENABLED), "yes")

    def test_nil_on_every_entry_is_safe(self):
        c = self.imap(self.fresh_user())
        for _ in range(2):
            for entry in (ENABLED, FILTER, ROOT):
                self.assertTrue(c.setmetadata(entry, None).ok, entry)
        res = c.command("SETMETADATA", '""', "(%s NIL %s NIL %s NIL)" %
                        (quote(ENABLED), quote(FILTER), quote(ROOT)))
        self.assertTrue(res.ok, res)
        self.assertEqual(self.depth1(c)[1], {ROOT: "COI", FILTER: "none"})

    # --- CS-16: message-filter value rules --------------------------------

    def test_cs16_message_filter_accepts_none_active_seen(self):
        c = self.imap(self.fresh_user())
        for value in ("active", "seen", "none"):
            self.assertTrue(c.setmetadata(FILTER, value).ok, value)
            self.assertEqual(c.getmeta(FILTER), value)

    def test_cs16_message_filter_rejects_other_values(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(FILTER, "seen").ok)
        for value in ("Active", "ACTIVE", "SEEN", "None", "", "all", "active ",
                      "yes"):
            self.assert_no(c.setmetadata(FILTER, value), FILTER_ERR % value)
        self.assertEqual(c.getmeta(FILTER), "seen")

    def test_cs16_message_filter_rejects_long_and_binary(self):
        c = self.imap(self.fresh_user())
        res = c.setmetadata(FILTER, "active" * 50000)
        self.assertEqual(res.status, "NO", res)
        self.assertTrue(tagged_text(res).startswith(
            "[CANNOT] invalid value for %s: activeactive" % FILTER), res)
        self.assertLess(len(res.text), 300)
        res = c.setmetadata(FILTER, b"active\x00")
        self.assert_no(res, FILTER_ERR % "active?")
        self.assertEqual(c.getmeta(FILTER), "none")

    def test_cs16_message_filter_nil_returns_to_default(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(FILTER, "active").ok)
        self.assertTrue(c.setmetadata(FILTER, None).ok)
        self.assertEqual(c.getmeta(FILTER), "none")

    # --- CS-03: METADATA announced, undefined coi/ entries refused --------

    def test_cs03_metadata_announced(self):
        caps = self.imap(self.fresh_user()).capabilities()
        self.assertIn("METADATA", caps)
        self.assertEqual(sorted(caps).count("METADATA"), 1)

    def test_cs03_undefined_coi_entries_refused(self):
        c = self.imap(self.fresh_user())
        for entry in ("/private/vendor/vendor.dovecot/coi",
                      "/private/vendor/vendor.dovecot/coi/config",
                      "/private/vendor/vendor.dovecot/coi/foo",
                      "/private/vendor/vendor.dovecot/coi/config/foo",
                      "/private/vendor/vendor.dovecot/coi/config/enabled/x",
                      "/private/vendor/vendor.dovecot/coi/config/enabledx"):
            self.assert_no(c.setmetadata(entry, "yes"),
                           "%s is not a COI configuration entry" % entry)
            self.assertEqual(c.getmeta(entry), None)
        entry = "/shared/vendor/vendor.dovecot/coi/config/enabled"
        self.assert_no(c.setmetadata(entry, "yes"),
                       "%s is not a COI configuration entry" % entry)

    def test_cs03_other_metadata_still_works(self):
        # imap_metadata = yes: COI leaves the rest of METADATA alone
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata("/private/comment", "hello").ok)
        self.assertEqual(c.getmeta("/private/comment"), "hello")

    def test_cs02_several_entries_in_one_setmetadata(self):
        c = self.imap(self.fresh_user())
        res = c.command("SETMETADATA", '""', "(%s %s %s %s)" % (
            quote(ENABLED), quote("yes"), quote(FILTER), quote("seen")))
        self.assertTrue(res.ok, res)
        self.assertEqual(self.depth1(c)[1], {ENABLED: "yes", ROOT: "COI", FILTER: "seen"})

    def test_cs02_config_visible_to_other_processes(self):
        """No cache: another process (doveadm) sees a change at once."""
        user = self.fresh_user()
        c = self.imap(user)
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertTrue(c.setmetadata(FILTER, "seen").ok)
        out = self.dc.doveadm("mailbox", "metadata", "get", "-u", user, "-s", "",
                              FILTER).stdout.strip()
        self.assertEqual(out, "seen")
        self.assertTrue(c.setmetadata(FILTER, "active").ok)
        out = self.dc.doveadm("mailbox", "metadata", "get", "-u", user, "-s", "",
                              FILTER).stdout.strip()
        self.assertEqual(out, "active")

    def test_enable_logs_info_line(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.dc.wait_log(r"imap\(%s\).*Info: coi: COI enabled \(METADATA\)" % user)
        self.assertTrue(c.setmetadata(ENABLED, None).ok)
        self.dc.wait_log(r"imap\(%s\).*Info: coi: COI disabled \(METADATA\)" % user)


class Capabilities(DovecotTestCase):
    """CS-01, CS-04: Dovecot's own capabilities stay announced with every
    COI plugin loaded."""
    dovecot_args = dict(mail_plugins="coi notify push_notification push_coi",
                        imap_plugins="imap_coi")

    def test_cs01_cs04_capabilities_with_all_plugins(self):
        caps = self.imap().capabilities()
        for cap in ("IMAP4REV1", "IDLE", "NOTIFY", "BINARY", "SEARCHRES", "ESORT",
                    "CONDSTORE", "QRESYNC", "METADATA", "COI"):
            self.assertIn(cap, caps)

    def test_cs01_imap4rev1_before_login(self):
        caps = self.imap(login=False).capabilities()
        self.assertIn("IMAP4REV1", caps)


class CapabilitiesCoiOnly(DovecotTestCase):
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        imap_metadata=False)

    def test_cs04_capabilities_with_coi_only(self):
        caps = self.imap().capabilities()
        for cap in ("IMAP4REV1", "IDLE", "NOTIFY", "BINARY", "SEARCHRES", "ESORT",
                    "CONDSTORE", "QRESYNC", "METADATA", "COI"):
            self.assertIn(cap, caps)


class WithoutImapMetadata(MetadataMixin, DovecotTestCase):
    """CS-02: the COI entries work although the admin left imap_metadata
    off; other METADATA stays off."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        imap_metadata=False)

    def test_cs03_metadata_announced_without_imap_metadata(self):
        self.assertIn("METADATA", self.imap(self.fresh_user()).capabilities())

    def test_cs02_set_get_without_imap_metadata(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertTrue(c.setmetadata(FILTER, "seen").ok)
        self.assertEqual(c.getmeta(ENABLED), "yes")
        self.assertEqual(c.getmeta(FILTER), "seen")
        self.assertEqual(c.getmeta(ROOT), "COI")

    def test_cs08_depth1_without_imap_metadata(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        res, values = self.depth1(c)
        self.assertEqual(len(res.find("METADATA")), 1, res)
        self.assertEqual(values, {ENABLED: "yes", ROOT: "COI", FILTER: "none"})

    def test_cs09_value_rules_without_imap_metadata(self):
        c = self.imap(self.fresh_user())
        self.assert_no(c.setmetadata(ENABLED, "YES"), ENABLED_ERR % "YES")
        self.assert_no(c.setmetadata(FILTER, "Seen"), FILTER_ERR % "Seen")
        self.assert_no(c.setmetadata(ROOT, "X"), ROOT_REFUSED)
        for entry in (ENABLED, FILTER, ROOT):
            self.assertTrue(c.setmetadata(entry, None).ok)

    def test_cs10_enable_creates_folders_without_imap_metadata(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertTrue({"COI/Chats", "COI/Contacts"} <= set(c.list_mailboxes()))

    def test_other_metadata_stays_off(self):
        c = self.imap(self.fresh_user())
        res = c.setmetadata("/private/comment", "hello")
        self.assertEqual(res.status, "NO", res)
        res = c.setmetadata("/private/vendor/vendor.dovecot/other", "x")
        self.assertEqual(res.status, "NO", res)


class PerUserRoot(MetadataMixin, DovecotTestCase):
    """CS-07 allowed: coi_mailbox_root_per_user = yes."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        plugin=dict(coi_mailbox_root="Chat",
                                    coi_mailbox_root_per_user="yes"))

    def test_cs06_admin_root_is_default(self):
        c = self.imap(self.fresh_user())
        self.assertEqual(c.getmeta(ROOT), "Chat")

    def test_cs07_user_root_allowed(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ROOT, "My COI").ok)
        self.assertEqual(c.getmeta(ROOT), "My COI")
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        boxes = c.list_mailboxes()
        self.assertIn("My COI/Chats", boxes)
        self.assertIn("My COI/Contacts", boxes)
        self.assertNotIn("Chat/Chats", boxes)
        self.assertEqual(self.depth1(c)[1], {ENABLED: "yes", ROOT: "My COI", FILTER: "none"})

    def test_cs07_nested_user_root(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ROOT, "Apps/COI").ok)
        self.assertTrue(c.setmetadata(FILTER, "active").ok)
        self.assertIn("Apps/COI/Chats", c.list_mailboxes())

    def test_cs07_root_change_while_enabled_creates_folders(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertIn("Chat/Chats", c.list_mailboxes())
        self.assertTrue(c.setmetadata(ROOT, "Other").ok)
        self.assertTrue({"Other/Chats", "Other/Contacts"} <= set(c.list_mailboxes()))

    def test_cs07_user_root_nil_returns_to_admin_root(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(ROOT, "Mine").ok)
        self.assertTrue(c.setmetadata(ROOT, None).ok)
        self.assertEqual(c.getmeta(ROOT), "Chat")

    def test_cs07_invalid_user_roots_refused(self):
        c = self.imap(self.fresh_user())
        for value in ("", "a\r\nb", "tab\there", "x" * 300, "a//b", "/abs",
                      "trailing/"):
            res = c.setmetadata(ROOT, value)
            self.assertEqual(res.status, "NO", (value, res))
            self.assertTrue(tagged_text(res).startswith(
                '[CANNOT] invalid value for %s: "' % ROOT), res)
        res = c.setmetadata(ROOT, b"\x00\xff")
        self.assertEqual(res.status, "NO", res)
        self.assertEqual(c.getmeta(ROOT), "Chat")


class AdminDefaults(MetadataMixin, DovecotTestCase):
    """Admin defaults for users who never set enabled or message-filter;
    a value the user set always wins."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        plugin=dict(coi_default_enabled="yes",
                                    coi_default_message_filter="active"))

    def test_defaults_for_new_user(self):
        c = self.imap(self.fresh_user())
        self.assertEqual(self.depth1(c)[1], {ENABLED: "yes", ROOT: "COI", FILTER: "active"})

    def test_user_filter_wins(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.setmetadata(FILTER, "none").ok)
        self.assertEqual(c.getmeta(FILTER), "none")
        self.assertTrue(c.setmetadata(FILTER, None).ok)
        self.assertEqual(c.getmeta(FILTER), "active")

    def test_user_nil_on_enabled_wins_over_default(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertTrue(c.setmetadata(ENABLED, None).ok)
        self.assertIsNone(c.getmeta(ENABLED))
        self.dc.wait_log(r"imap\(%s\).*Info: coi: COI disabled \(METADATA\)" % user)
        # in a new session too
        self.assertIsNone(self.imap(user).getmeta(ENABLED))
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertEqual(c.getmeta(ENABLED), "yes")

    def test_defaults_in_doveadm(self):
        user = self.fresh_user()
        out = self.dc.doveadm("mailbox", "metadata", "get", "-u", user, "-s", "",
                              ENABLED).stdout.strip()
        self.assertEqual(out, "yes")


class BadAdminSettings(MetadataMixin, DovecotTestCase):
    """Invalid admin settings are logged and replaced by the built-in
    defaults; nothing breaks."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        plugin=dict(coi_default_enabled="maybe",
                                    coi_default_message_filter="ACTIVE",
                                    coi_mailbox_root="x" * 300))

    def test_invalid_settings_fall_back(self):
        self.dc.expect_log(r"coi: Invalid setting coi_default_enabled=maybe")
        self.dc.expect_log(r"coi: Invalid setting coi_default_message_filter=ACTIVE")
        self.dc.expect_log(r"coi: Invalid setting coi_mailbox_root: invalid value")
        user = self.fresh_user()
        c = self.imap(user)
        self.assertEqual(self.depth1(c)[1], {ROOT: "COI", FILTER: "none"})
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        self.assertIn("COI/Chats", c.list_mailboxes())
        self.assertEqual(self.dc.lmtp_deliver(user, message()[1])[0], 250)
        self.dc.wait_log(r"Invalid setting coi_default_enabled=maybe")
        self.dc.wait_log(r"Invalid setting coi_mailbox_root")


class DeliveriesWithConfig(MetadataMixin, DovecotTestCase):
    """LMTP and dovecot-lda keep delivering with the COI configuration
    stored, with and without COI enabled."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        plugin=dict(coi_default_message_filter="seen"))

    def test_lmtp_and_lda_with_config(self):
        user = self.fresh_user()
        c = self.imap(user)
        for value in (None, "yes"):
            self.assertTrue(c.setmetadata(ENABLED, value).ok)
            _, msg = message(subject="plain %s" % value)
            self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
            res = self.dc.lda_deliver(user, msg)
            self.assertEqual(res.returncode, 0, res.stderr)
        c2 = self.imap(user)
        self.assertEqual(c2.status("INBOX")["MESSAGES"], 4)
        self.assertEqual(self.depth1(c2)[1], {ENABLED: "yes", ROOT: "COI", FILTER: "seen"})

    def test_lmtp_for_user_never_logged_in(self):
        user = self.fresh_user()
        self.assertEqual(self.dc.lmtp_deliver(user, message()[1])[0], 250)
        res = self.dc.lda_deliver(self.fresh_user(), message()[1])
        self.assertEqual(res.returncode, 0, res.stderr)


class InboxPrefix(MetadataMixin, DovecotTestCase):
    """An INBOX namespace with a prefix (INBOX/): the COI root lies below
    the prefix, with the namespace's separator."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        extra_conf="""
namespace inbox {
  prefix = INBOX/
}
""")

    def test_cs06_root_under_namespace_prefix(self):
        c = self.imap(self.fresh_user())
        self.assertEqual(c.getmeta(ROOT), "INBOX/COI")
        self.assertTrue(c.setmetadata(ENABLED, "yes").ok)
        boxes = c.list_mailboxes()
        self.assertIn("INBOX/COI/Chats", boxes)
        self.assertIn("INBOX/COI/Contacts", boxes)

    def test_cs13_create_chats_under_prefix_enables(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.ok("CREATE", quote("INBOX/COI/Chats")))
        self.assertEqual(c.getmeta(ENABLED), "yes")
        self.assertTrue(c.ok("DELETE", quote("INBOX/COI/Chats")))
        self.assertIsNone(c.getmeta(ENABLED))


class WithoutAttributeDict(MetadataMixin, DovecotTestCase):
    """No mail_attribute_dict: nothing can be stored. Reading gives the
    defaults, setting fails cleanly, METADATA is not announced, and
    deliveries work."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        attribute_dict=False, imap_metadata=False)

    def test_without_dict_reads_defaults_and_refuses_set(self):
        user = self.fresh_user()
        c = self.imap(user)
        self.assertNotIn("METADATA", c.capabilities())
        self.assertEqual(c.getmeta(ROOT), "COI")
        self.assertEqual(c.getmeta(FILTER), "none")
        for entry, value in ((ENABLED, "yes"), (FILTER, "active")):
            self.assert_no(c.setmetadata(entry, value), "Mailbox attributes not enabled")
        # nothing was created for a value that could not be stored
        self.assertNotIn("COI/Chats", c.list_mailboxes())
        self.assert_no(c.setmetadata(ENABLED, "YES"), ENABLED_ERR % "YES")
        self.assertEqual(self.dc.lmtp_deliver(user, message()[1])[0], 250)
        self.assertEqual(c.status("INBOX")["MESSAGES"], 1)

    def test_without_dict_folder_rules_are_quiet(self):
        c = self.imap(self.fresh_user())
        self.assertTrue(c.ok("CREATE", quote("COI/Chats")))
        self.assertTrue(c.ok("DELETE", quote("COI/Chats")))
