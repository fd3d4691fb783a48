"""Endpoint policy settings of push_coi (webpush_allow_http,
webpush_allowed_networks) are read when a user is created: valid values
load quietly, a bad value gives an error naming the setting and never
breaks IMAP or a delivery."""

from coitest import DovecotTestCase, message

PUSH = dict(mail_plugins="coi notify push_notification push_coi",
            imap_plugins="imap_coi")


class ValidEndpointSettings(DovecotTestCase):
    dovecot_args = dict(PUSH, plugin={
        "webpush_allow_http": "yes",
        "webpush_allowed_networks": "127.0.0.1 ::1 10.1.0.0/16 fd00:1::/64",
    })

    def test_valid_settings_load_without_error(self):
        # no VAPID key here, so no WEBPUSH (WP-01); IMAP works
        self.assertIn("COI", self.imap().capabilities())
        self.assertEqual(self.dc.lmtp_deliver("alice", message()[1])[0], 250)
        # tearDown fails on any Error line in the log


class BadAllowedNetworks(DovecotTestCase):
    dovecot_args = dict(PUSH, plugin={"webpush_allowed_networks": "10.0.0.1/8"})

    def test_bad_network_logs_error_and_delivery_works(self):
        self.dc.expect_log(
            r"Error: .*push-coi: Invalid webpush_allowed_networks: "
            r"'10\.0\.0\.1/8': address has bits set beyond the /8 prefix")
        self.assertEqual(self.dc.lmtp_deliver("bob", message()[1])[0], 250)
        self.assertEqual(self.imap("bob").status("INBOX")["MESSAGES"], 1)
        self.dc.wait_log(r"lmtp\(bob.*Error: .*Invalid webpush_allowed_networks")


class BadAllowHttp(DovecotTestCase):
    dovecot_args = dict(PUSH, plugin={"webpush_allow_http": "maybe"})

    def test_bad_bool_logs_error_and_imap_works(self):
        self.dc.expect_log(r"Error: .*push-coi: Invalid webpush_allow_http "
                           r"value 'maybe': use yes or no")
        caps = self.imap("carol").capabilities()
        self.assertIn("COI", caps)
        # WebPush is not configured for the user: not announced
        self.assertNotIn("WEBPUSH", caps)
        self.dc.wait_log(r"imap\(carol.*Error: .*Invalid webpush_allow_http")
