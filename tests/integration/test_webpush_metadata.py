"""IMAP WebPush METADATA: the WEBPUSH capability, the VAPID key entry and
subscriptions with their validation, limits and abuse rules (WP-01..WP-07,
WP-09..WP-12, WP-20, CS-02, CS-03), against a real Dovecot."""

import datetime
import json
import time

from coitest import quote
from coitest.webpush import (SUBS, VAPID, WEBPUSH, WebPushTestCase, sub_entry,
                             validation_token)

SECRET = "coitest-validation-secret-0123456789"
# RFC 8291 appendix A receiver key; the same point with Y's last bit flipped
# is not on the curve.
P256DH_URL = ("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4"
              "bjyPjs7Vd8pZGH6SRpkNtoIAiw4")
P256DH_STD = ("BCVxsr7N/eNgVRqvHtD0zTZsEc6+VV+JvLexhqUzORcxaOzi6+AYWXvTBHm4"
              "bjyPjs7Vd8pZGH6SRpkNtoIAiw4=")
P256DH_OFF_CURVE = P256DH_URL[:-1] + "8"
AUTH_URL = "BTBZMqHH6r4Tts7J_aSIgg"
AUTH_STD = "BTBZMqHH6r4Tts7J/aSIgg=="
# The endpoint of the subscriptions: a path of the test's HTTPS receiver
# (set when the class starts), so that validation pushes stay on loopback.
ENDPOINT = None


def sub_value(client="coitest", device="phone", msgtype="all", endpoint=None,
              p256dh=P256DH_URL, auth=AUTH_URL, **extra):
    if endpoint is None:
        endpoint = ENDPOINT
    value = {"client": client, "device": device, "msgtype": msgtype,
             "resource": {"endpoint": endpoint,
                          "keys": {"p256dh": p256dh, "auth": auth}}}
    value.update(extra)
    return json.dumps(value)


def assert_no(test, res, *fragments):
    test.assertEqual(res.status, "NO", res)
    for fragment in fragments:
        test.assertIn(fragment, res.text)


def assert_invalid_validation(test, res):
    """Exactly NO [CANNOT] invalid validation (Dovecot appends its timing)."""
    test.assertEqual(res.status, "NO", res)
    test.assertRegex(res.text, r"^\[CANNOT\] invalid validation( \([0-9.+ ]* secs\)\.)?$")


class SecretCase(WebPushTestCase):
    """Tokens are computed by the test from webpush_validation_secret, the
    way another server of a cluster would check them; no throttling."""

    @classmethod
    def extra_settings(cls):
        return {"webpush_validation_secret": SECRET,
                "webpush_subscription_create_max": "0",
                "webpush_validation_fail_max": "0"}

    @classmethod
    def setUpClass(cls):
        global ENDPOINT
        super().setUpClass()
        ENDPOINT = cls.rx.subscriber("metadata")[1]
        cls.other_endpoint = cls.rx.subscriber("metadata-other")[1]

    def token(self, user, sub_id, endpoint=None, issued=None):
        return validation_token(SECRET, user, sub_id, endpoint or ENDPOINT, issued)


class Capability(WebPushTestCase):
    with_receiver = False

    def test_webpush_after_login_only(self):
        """WP-01: WEBPUSH is announced after login, not before."""
        self.assertNotIn("WEBPUSH", self.imap(login=False).capabilities())
        caps = self.imap().capabilities()
        self.assertIn("WEBPUSH", caps)
        self.assertIn("COI", caps)


class NoVapidKey(WebPushTestCase):
    """push_coi loaded without webpush_vapid_key: no WEBPUSH, and the
    entries answer that WebPush is not available."""
    with_receiver = False

    @classmethod
    def extra_settings(cls):
        return {"webpush_vapid_key": ""}

    def test_no_webpush_without_key(self):
        c = self.imap()
        self.assertNotIn("WEBPUSH", c.capabilities())
        self.assertIn("COI", c.capabilities())
        self.assertIsNone(c.getmeta(VAPID))
        assert_no(self, c.setmetadata(sub_entry("abcdefghij01"), sub_value()),
                  "WebPush is not available")


class VapidEntry(SecretCase):
    def test_vapid_is_public_key_pem(self):
        """WP-02: the VAPID entry is the PEM public key of the configured key."""
        value = self.imap().getmeta(VAPID)
        self.assertEqual(value, self.vapid.public_pem().decode())
        self.assertTrue(value.startswith("-----BEGIN PUBLIC KEY-----"))

    def test_vapid_is_read_only(self):
        """WP-02: setting the VAPID entry (or NIL) is refused with a clear NO."""
        c = self.imap()
        assert_no(self, c.setmetadata(VAPID, "x"), "[CANNOT]", "read-only")
        assert_no(self, c.setmetadata(VAPID, None), "read-only")
        self.assertEqual(c.getmeta(VAPID), self.vapid.public_pem().decode())

    def test_private_key_never_readable(self):
        """WP-02: no METADATA read shows the private key."""
        c = self.imap()
        self.assertTrue(c.setmetadata(sub_entry("privcheck01"), sub_value()).ok)
        private = self.vapid.pem().decode()
        body = private.splitlines()[1]
        for entry, depth in ((WEBPUSH, "infinity"), ("/private", "infinity"),
                             ("/shared", "infinity")):
            res, values = c.getmetadata(entry, depth=depth)
            self.assertTrue(res.ok, res)
            text = repr(res.untagged)
            self.assertNotIn("PRIVATE KEY", text)
            self.assertNotIn(body, text)
        self.assertIn(VAPID, c.getmetadata(WEBPUSH, depth="infinity")[1])


class SubscriptionRules(SecretCase):
    def test_create_stores_canonical_json(self):
        """WP-03, WP-05, WP-06: a valid subscription is stored as canonical
        JSON (only known members) with created (RFC 3339) and validated false."""
        c = self.imap()
        before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        res = c.setmetadata(sub_entry("phone-0001"),
                            sub_value(msgtype="chat", extra={"x": [1, 2]},
                                      validated=True, created="1999"))
        self.assertTrue(res.ok, res)
        stored = json.loads(c.getmeta(sub_entry("phone-0001")))
        self.assertEqual(list(stored), ["client", "device", "msgtype", "resource",
                                        "created", "validated"])
        self.assertEqual(stored["resource"], {"endpoint": ENDPOINT,
                                              "keys": {"p256dh": P256DH_URL,
                                                       "auth": AUTH_URL}})
        self.assertEqual(stored["msgtype"], "chat")
        self.assertIs(stored["validated"], False)
        created = datetime.datetime.fromisoformat(stored["created"].replace("Z", "+00:00"))
        self.assertTrue(stored["created"].endswith("Z"))
        self.assertLessEqual(before, created)
        self.assertLessEqual(created, datetime.datetime.now(datetime.timezone.utc))

    def test_unknown_members_are_dropped(self):
        """WP-05: unknown members, also nested ones, are not stored."""
        c = self.imap()
        value = json.loads(sub_value())
        value["resource"]["extra"] = "x"
        value["resource"]["keys"]["other"] = "y"
        value["tracking"] = {"id": 5}
        self.assertTrue(c.setmetadata(sub_entry("phone-0002"), json.dumps(value)).ok)
        stored = c.getmeta(sub_entry("phone-0002"))
        for word in ("extra", "other", "tracking"):
            self.assertNotIn(word, stored)

    def test_id_rules(self):
        """WP-03: IDs are 10..36 characters of [0-9A-Za-z_-]."""
        c = self.imap()
        for good in ("0123456789", "a" * 36, "A-b_C-d_E-f"):
            self.assertTrue(c.setmetadata(sub_entry(good), sub_value()).ok, good)
            self.assertTrue(c.setmetadata(sub_entry(good), None).ok)
        for bad in ("012345678", "a" * 37, "abcdefghij.k", "abcdefghij+k",
                    "abcdefghij~k"):
            assert_no(self, c.setmetadata(sub_entry(bad), sub_value()),
                      "invalid subscription ID")
            self.assertIsNone(c.getmeta(sub_entry(bad)))

    def test_ids_are_case_insensitive(self):
        """WP-03: Dovecot lowercases entry names; IDs compare case-insensitively."""
        c = self.imap()
        self.assertTrue(c.setmetadata(sub_entry("MiXeD-Case-01"), sub_value()).ok)
        self.assertIsNotNone(c.getmeta(sub_entry("mixed-case-01")))
        self.assertIn("mixed-case-01", self.subscriptions(c))
        self.assertTrue(c.setmetadata(sub_entry("MIXED-CASE-01"), None).ok)
        self.assertIsNone(c.getmeta(sub_entry("mixed-case-01")))

    def test_invalid_fields_are_named(self):
        """WP-04: invalid JSON or fields get NO naming the field."""
        c = self.imap()
        value = json.loads(sub_value())
        del value["resource"]["keys"]["auth"]
        cases = [
            (sub_value(client="c" * 129), "client"),
            (sub_value(client=5), "client"),
            (sub_value(device="d" * 129), "device"),
            (sub_value(msgtype="Chat"), "msgtype"),
            (sub_value(msgtype="news"), "msgtype"),
            (sub_value(endpoint="https://push.example.net/" + "a" * 490), "resource.endpoint"),
            (sub_value(endpoint="ftp://push.example.net/x"), "resource.endpoint"),
            (sub_value(p256dh=P256DH_OFF_CURVE), "resource.keys.p256dh"),
            (sub_value(p256dh=AUTH_URL), "resource.keys.p256dh"),
            (sub_value(p256dh=P256DH_URL + "A" * 200), "resource.keys.p256dh"),
            (sub_value(auth=P256DH_URL), "resource.keys.auth"),
            (json.dumps(value), "resource.keys.auth"),
            ('{"client": "c"', "invalid JSON"),
            ("[1, 2]", "JSON object"),
            ('{"client":"a","client":"b"}', "duplicate"),
            ("x" * 5000, "larger than"),
        ]
        for text, field in cases:
            res = c.setmetadata(sub_entry("badvalue01"), text)
            assert_no(self, res, "[CANNOT]", "invalid subscription", field)
        # not UTF-8 and nested deeply: clear errors, never a crash
        raw = sub_value(client="X").replace('"X"', '"\xff"').encode("latin-1")
        assert_no(self, c.setmetadata(sub_entry("badvalue01"), raw), "invalid JSON")
        assert_no(self, c.setmetadata(sub_entry("badvalue01"), "[" * 3000 + "]" * 3000),
                  "invalid subscription")
        self.assertIsNone(c.getmeta(sub_entry("badvalue01")))
        self.assertTrue(c.command("NOOP").ok)

    def test_keys_in_any_base64_form(self):
        """WP-04: keys come as base64 or base64url, padded or not."""
        c = self.imap()
        self.assertTrue(c.setmetadata(sub_entry("stdkeys001"),
                                      sub_value(p256dh=P256DH_STD, auth=AUTH_STD)).ok)
        self.assertTrue(c.setmetadata(sub_entry("urlpadded1"),
                                      sub_value(p256dh=P256DH_URL + "=",
                                                auth=AUTH_URL + "==")).ok)
        for sub_id in ("stdkeys001", "urlpadded1"):
            keys = json.loads(c.getmeta(sub_entry(sub_id)))["resource"]["keys"]
            self.assertEqual(keys, {"p256dh": P256DH_URL, "auth": AUTH_URL})

    def test_legacy_msgtypes(self):
        """WP-04: legacy msgtype email/any are read as mail/all."""
        c = self.imap()
        self.assertTrue(c.setmetadata(sub_entry("legacy-mail"), sub_value(msgtype="email")).ok)
        self.assertTrue(c.setmetadata(sub_entry("legacy-any1"), sub_value(msgtype="any")).ok)
        self.assertEqual(json.loads(c.getmeta(sub_entry("legacy-mail")))["msgtype"], "mail")
        self.assertEqual(json.loads(c.getmeta(sub_entry("legacy-any1")))["msgtype"], "all")

    def test_nil_removes(self):
        """WP-11: NIL removes a subscription (and removing a missing one is OK)."""
        c = self.imap("nil-user")
        self.assertTrue(c.setmetadata(sub_entry("to-remove-1"), sub_value()).ok)
        self.assertIn("to-remove-1", self.subscriptions(c))
        self.assertTrue(c.setmetadata(sub_entry("to-remove-1"), None).ok)
        self.assertNotIn("to-remove-1", self.subscriptions(c))
        self.assertIsNone(c.getmeta(sub_entry("to-remove-1")))
        self.assertTrue(c.setmetadata(sub_entry("never-there"), None).ok)

    def test_depth1_lists_all(self):
        """WP-12: GETMETADATA (DEPTH 1) lists every subscription with its JSON."""
        c = self.imap("lister")
        ids = ["list-sub-%02d" % i for i in range(3)]
        for i, sub_id in enumerate(ids):
            self.assertTrue(c.setmetadata(sub_entry(sub_id),
                                          sub_value(device="dev%d" % i)).ok)
        self.assertTrue(c.setmetadata(sub_entry(ids[1] + "/validate"),
                                      self.token("lister", ids[1])).ok)
        subs = self.subscriptions(c)
        self.assertEqual(sorted(subs), ids)
        for i, sub_id in enumerate(ids):
            self.assertEqual(subs[sub_id]["device"], "dev%d" % i)
            self.assertIn("created", subs[sub_id])
            self.assertIs(subs[sub_id]["validated"], i == 1)
        # one METADATA response holds them all
        res, _ = c.getmetadata(SUBS, depth=1)
        self.assertEqual(len(res.find("METADATA")), 1)

    def test_other_paths_are_refused(self):
        """CS-03: paths under webpush/ that the spec does not define get NO."""
        c = self.imap()
        assert_no(self, c.setmetadata(WEBPUSH + "/other", "x"), "unknown WebPush entry")
        assert_no(self, c.setmetadata(WEBPUSH, "x"), "unknown WebPush entry")
        assert_no(self, c.setmetadata(WEBPUSH + "/vapid/private", "x"), "unknown WebPush entry")
        assert_no(self, c.setmetadata(SUBS, "x"), "unknown WebPush entry")
        self.assertTrue(c.setmetadata(sub_entry("pathcheck01"), sub_value()).ok)
        assert_no(self, c.setmetadata(sub_entry("pathcheck01/other"), "x"),
                  "unknown WebPush entry")
        self.assertIsNone(c.getmeta(WEBPUSH + "/other"))
        self.assertIsNone(c.getmeta(WEBPUSH))


class Validation(SecretCase):
    def test_right_token_validates(self):
        """WP-09: the right token within the window: OK, validated becomes true."""
        c = self.imap("val1")
        self.assertTrue(c.setmetadata(sub_entry("Valid-Me-01"), sub_value()).ok)
        res = c.setmetadata(sub_entry("Valid-Me-01/validate"),
                            self.token("val1", "valid-me-01"))
        self.assertTrue(res.ok, res)
        self.assertIs(json.loads(c.getmeta(sub_entry("valid-me-01")))["validated"], True)

    def test_wrong_late_or_unknown_is_invalid(self):
        """WP-09: wrong token, late token or unknown ID: NO [CANNOT] invalid validation."""
        c = self.imap("val2")
        self.assertTrue(c.setmetadata(sub_entry("validate-02"), sub_value()).ok)
        e = sub_entry("validate-02/validate")
        assert_invalid_validation(self, c.setmetadata(e, "wrong"))
        assert_invalid_validation(self, c.setmetadata(e, ""))
        assert_invalid_validation(self, c.setmetadata(e, None))
        # a token of another user, another ID, another endpoint
        assert_invalid_validation(self, c.setmetadata(e, self.token("val1", "validate-02")))
        assert_invalid_validation(self, c.setmetadata(e, self.token("val2", "validate-03")))
        assert_invalid_validation(self, c.setmetadata(
            e, self.token("val2", "validate-02", endpoint=self.other_endpoint)))
        # issued longer ago than the window (5 minutes by default)
        assert_invalid_validation(self, c.setmetadata(
            e, self.token("val2", "validate-02", issued=int(time.time()) - 301)))
        # unknown ID
        assert_invalid_validation(self, c.setmetadata(
            sub_entry("unknown-id-1/validate"), self.token("val2", "unknown-id-1")))
        self.assertIs(json.loads(c.getmeta(sub_entry("validate-02")))["validated"], False)
        # the right one still works afterwards
        self.assertTrue(c.setmetadata(e, self.token("val2", "validate-02")).ok)

    def test_reset_replaces_and_needs_new_validation(self):
        """Setting an existing ID replaces it and starts a new validation."""
        c = self.imap("val3")
        self.assertTrue(c.setmetadata(sub_entry("replace-me-1"), sub_value()).ok)
        self.assertTrue(c.setmetadata(sub_entry("replace-me-1/validate"),
                                      self.token("val3", "replace-me-1")).ok)
        new_endpoint = self.other_endpoint
        self.assertTrue(c.setmetadata(sub_entry("replace-me-1"),
                                      sub_value(endpoint=new_endpoint, device="new")).ok)
        stored = json.loads(c.getmeta(sub_entry("replace-me-1")))
        self.assertEqual(stored["device"], "new")
        self.assertIs(stored["validated"], False)
        # the token of the old endpoint no longer fits
        assert_invalid_validation(self, c.setmetadata(sub_entry("replace-me-1/validate"),
                                                      self.token("val3", "replace-me-1")))
        self.assertTrue(c.setmetadata(sub_entry("replace-me-1/validate"),
                                      self.token("val3", "replace-me-1",
                                                 endpoint=new_endpoint)).ok)

    def test_token_from_any_server_with_the_secret(self):
        """WP-09: the token is stateless: one made elsewhere with the shared
        secret validates, also in another IMAP session."""
        c1 = self.imap("val4")
        self.assertTrue(c1.setmetadata(sub_entry("cluster-001"), sub_value()).ok)
        c2 = self.imap("val4")
        self.assertTrue(c2.setmetadata(sub_entry("cluster-001/validate"),
                                       self.token("val4", "cluster-001")).ok)
        self.assertIs(json.loads(c1.getmeta(sub_entry("cluster-001")))["validated"], True)


class Limit(SecretCase):
    @classmethod
    def extra_settings(cls):
        return dict(SecretCase.extra_settings(), webpush_subscription_limit="3")

    def test_limit_per_user(self):
        """WP-07: several subscriptions per user, up to the configured limit."""
        c = self.imap("limited")
        for i in range(3):
            self.assertTrue(c.setmetadata(sub_entry("limit-sub-%d" % i), sub_value()).ok)
        assert_no(self, c.setmetadata(sub_entry("limit-sub-3"), sub_value()),
                  "[LIMIT]", "at most 3")
        # replacing one of them is not a new one
        self.assertTrue(c.setmetadata(sub_entry("limit-sub-0"), sub_value(device="x")).ok)
        self.assertTrue(c.setmetadata(sub_entry("limit-sub-1"), None).ok)
        self.assertTrue(c.setmetadata(sub_entry("limit-sub-3"), sub_value()).ok)
        self.assertEqual(len(self.subscriptions(c)), 3)
        # another user has a limit of its own
        self.assertTrue(self.imap("other").setmetadata(sub_entry("limit-sub-0"),
                                                       sub_value()).ok)

    def set_many(self, client, pairs):
        """One SETMETADATA with several entries (value None = NIL)."""
        args = []
        for entry, value in pairs:
            args += [quote(entry).encode(), b"NIL" if value is None else
                     b"{%d+}\r\n" % len(value.encode()) + value.encode()]
        return client.command("SETMETADATA", '""', b"(" + b" ".join(args) + b")")

    def test_limit_counts_within_one_command(self):
        """WP-07: the limit also holds for several new subscriptions in one
        SETMETADATA; the whole command fails and stores none of them."""
        c = self.imap("batch")
        self.assertTrue(c.setmetadata(sub_entry("batch-sub-0"), sub_value()).ok)
        res = self.set_many(c, [(sub_entry("batch-sub-%d" % i), sub_value())
                                for i in range(1, 4)])
        assert_no(self, res, "[LIMIT]", "at most 3")
        self.assertEqual(list(self.subscriptions(c)), ["batch-sub-0"])
        # removals in the same command make room
        res = self.set_many(c, [(sub_entry("batch-sub-0"), None)] +
                            [(sub_entry("batch-sub-%d" % i), sub_value()) for i in range(1, 4)])
        self.assertTrue(res.ok, res)
        self.assertEqual(sorted(self.subscriptions(c)),
                         ["batch-sub-1", "batch-sub-2", "batch-sub-3"])
        # setting the same ID twice in one command counts once
        self.assertTrue(c.setmetadata(sub_entry("batch-sub-3"), None).ok)
        res = self.set_many(c, [(sub_entry("batch-sub-4"), sub_value()),
                                (sub_entry("batch-sub-4"), sub_value(device="again"))])
        self.assertTrue(res.ok, res)
        self.assertEqual(len(self.subscriptions(c)), 3)


class Expiry(SecretCase):
    @classmethod
    def extra_settings(cls):
        return dict(SecretCase.extra_settings(), webpush_validation_timeout="1s",
                    webpush_subscription_limit="1")

    def test_unvalidated_subscription_is_discarded(self):
        """WP-10: a subscription not validated within the window is gone:
        not listed, not readable, not validatable, and no longer counted."""
        c = self.imap("expiry")
        self.assertTrue(c.setmetadata(sub_entry("expire-me-1"), sub_value()).ok)
        self.assertIn("expire-me-1", self.subscriptions(c))
        time.sleep(2.2)
        self.assertNotIn("expire-me-1", self.subscriptions(c))
        self.assertIsNone(c.getmeta(sub_entry("expire-me-1")))
        assert_invalid_validation(self, c.setmetadata(sub_entry("expire-me-1/validate"),
                                                      self.token("expiry", "expire-me-1")))
        # with a limit of 1, the discarded one does not count
        self.assertTrue(c.setmetadata(sub_entry("expire-me-2"), sub_value()).ok)
        self.assertEqual(list(self.subscriptions(c)), ["expire-me-2"])


class Throttle(SecretCase):
    @classmethod
    def extra_settings(cls):
        return dict(SecretCase.extra_settings(),
                    webpush_subscription_create_max="2",
                    webpush_subscription_create_interval="1h")

    def test_creation_is_throttled(self):
        """WP-20: at most webpush_subscription_create_max creations per interval."""
        c = self.imap("throttled")
        self.assertTrue(c.setmetadata(sub_entry("throttle-01"), sub_value()).ok)
        self.assertTrue(c.setmetadata(sub_entry("throttle-02"), sub_value()).ok)
        assert_no(self, c.setmetadata(sub_entry("throttle-03"), sub_value()),
                  "[LIMIT]", "too many WebPush subscriptions created")
        # removing does not give the creation back, and a new session neither
        self.assertTrue(c.setmetadata(sub_entry("throttle-01"), None).ok)
        assert_no(self, self.imap("throttled").setmetadata(sub_entry("throttle-03"),
                                                           sub_value()), "[LIMIT]")
        self.assertTrue(self.imap("unthrottled").setmetadata(sub_entry("throttle-03"),
                                                             sub_value()).ok)


class Lockout(SecretCase):
    @classmethod
    def extra_settings(cls):
        return dict(SecretCase.extra_settings(),
                    webpush_validation_fail_max="3",
                    webpush_validation_lockout="1h")

    def test_repeated_failures_lock_out(self):
        """WP-20: a user whose subscriptions or validations keep failing gets
        no new subscription for a while, with a clear NO."""
        c = self.imap("locked")
        self.assertTrue(c.setmetadata(sub_entry("lockout-01"), sub_value()).ok)
        assert_invalid_validation(self, c.setmetadata(sub_entry("lockout-01/validate"), "x"))
        assert_no(self, c.setmetadata(sub_entry("lockout-02"), sub_value(msgtype="bad")),
                  "msgtype")
        assert_invalid_validation(self, c.setmetadata(sub_entry("lockout-01/validate"), "y"))
        res = c.setmetadata(sub_entry("lockout-03"), sub_value())
        assert_no(self, res, "[LIMIT]", "too many failed WebPush subscriptions or validations")
        # also in a new session
        assert_no(self, self.imap("locked").setmetadata(sub_entry("lockout-03"),
                                                        sub_value()), "[LIMIT]")
        # the existing subscription still validates, removal still works
        self.assertTrue(c.setmetadata(sub_entry("lockout-01/validate"),
                                      self.token("locked", "lockout-01")).ok)
        self.assertTrue(c.setmetadata(sub_entry("lockout-01"), None).ok)
        # other users are not affected
        self.assertTrue(self.imap("free").setmetadata(sub_entry("lockout-03"),
                                                      sub_value()).ok)


class WithoutImapMetadata(SecretCase):
    """CS-02: the WebPush entries work with imap_metadata = no."""

    @classmethod
    def extra_args(cls):
        return {"imap_metadata": False}

    def test_entries_work_without_imap_metadata(self):
        c = self.imap("nometa")
        self.assertEqual(c.getmeta(VAPID), self.vapid.public_pem().decode())
        self.assertTrue(c.setmetadata(sub_entry("no-meta-001"), sub_value()).ok)
        self.assertTrue(c.setmetadata(sub_entry("no-meta-001/validate"),
                                      self.token("nometa", "no-meta-001")).ok)
        subs = self.subscriptions(c)
        self.assertEqual(list(subs), ["no-meta-001"])
        self.assertIs(subs["no-meta-001"]["validated"], True)
        assert_no(self, c.setmetadata(sub_entry("no-meta-002"), sub_value(msgtype="x")),
                  "msgtype")
        self.assertTrue(c.setmetadata(sub_entry("no-meta-001"), None).ok)
        self.assertEqual(self.subscriptions(c), {})
        # generic entries stay off
        self.assertEqual(c.setmetadata("/private/comment", "x").status, "NO")
