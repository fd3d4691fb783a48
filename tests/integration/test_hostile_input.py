"""Hostile METADATA input (issue 7): overlong values, binary data, NUL
octets, invalid UTF-8, deeply nested or huge JSON, literal sizes at and over
the limits (ours and Dovecot's own), many entries in one SETMETADATA and
entry names with odd characters, under the COI configuration entries and
the WebPush entries. Each is answered NO (or BAD, where Dovecot's own
command syntax refuses it first) with a clear text, or OK where the spec
allows it; afterwards GETMETADATA shows the old values; and the Dovecot log
has no Panic, Fatal or Error line (checked after every test)."""

import itertools
import unittest

from coitest import DovecotTestCase
from coitest.imap import ImapError, quote

C = "/private/vendor/vendor.dovecot/coi/config"
ENABLED = C + "/enabled"
FILTER = C + "/message-filter"
ROOT = C + "/mailbox-root"
W = "/private/vendor/vendor.dovecot/webpush"
V = W + "/vapid"
S = W + "/subscriptions"

# Dovecot's own limits (2.3.19): imap_max_line_length (default 64 kB) bounds
# entry names and quoted values; a SETMETADATA value literal of more than
# 128 kB is spooled to a temporary file.
DOVECOT_MAX_LINE = 65536
DOVECOT_METADATA_INMEM = 128 * 1024

# RFC 8291's example receiver key (appendix A)
P256DH_RFC8291 = ("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4"
                  "bjyPjs7Vd8pZGH6SRpkNtoIAiw4")

_users = itertools.count(1)


def setmetadata_raw(client, *pairs):
    """SETMETADATA "" (name value ...); each name and value is sent as
    given (bytes or str), so tests can build literals, literal8 and odd
    quoting themselves."""
    body = b" ".join(p.encode() if isinstance(p, str) else p for p in pairs)
    return client.command("SETMETADATA", '""', b"(" + body + b")")


def lit(data):
    """A non-synchronizing literal {n+} of data (bytes or str)."""
    data = data.encode() if isinstance(data, str) else data
    return b"{%d+}\r\n" % len(data) + data


def read_until_disconnect(client):
    """Reads responses until the server closes the connection; returns
    them (raw lines)."""
    lines = []
    try:
        while True:
            lines.append(client.read_response_line())
    except (OSError, ImapError):
        pass
    return lines


def mutf7(name):
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3), as LIST
    shows it."""
    import base64
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode("".join(run).encode("utf-16-be")).decode()
            out.append("&" + b.rstrip("=").replace("/", ",") + "-")
            run.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def lit8(data):
    """A non-synchronizing literal8 ~{n+} (RFC 3516 BINARY)."""
    data = data.encode() if isinstance(data, str) else data
    return b"~{%d+}\r\n" % len(data) + data


class HostileBase(DovecotTestCase):
    """Helpers: a fresh user per test, so no test sees another's state."""

    def fresh_user(self, prefix):
        return "%s%d" % (prefix, next(_users))

    def assertNo(self, res, text=None):
        self.assertEqual(res.status, "NO", res)
        if text is not None:
            self.assertTrue(res.text.startswith(text),
                            "%r does not start with %r" % (res.text, text))
        # the text a client sees is printable UTF-8, whatever came in
        res.text.encode("utf-8")
        self.assertNotIn("\x00", res.text)

    def reconnect(self):
        self.c = self.imap(self.user)
        return self.c

    def assertCoiState(self, client, state):
        """The COI configuration is state, and <root>/Chats exists."""
        res, values = client.getmetadata(C, depth=1)
        self.assertTrue(res.ok, res)
        self.assertEqual(values, state)
        self.assertIn(mutf7(state[ROOT] + "/Chats"), client.list_mailboxes())

    def assertDisconnectedBy(self, data):
        """Sends data; Dovecot answers BYE and closes the connection, and a
        new session sees the old state."""
        self.c.send_raw(data)
        lines = read_until_disconnect(self.c)
        self.assertTrue(any(x.startswith(b"* BYE ") for x in lines), lines)
        self.assertUnchanged(self.reconnect())

    def assertRefused(self, res, text=None):
        """NO, or BAD where Dovecot's METADATA syntax check comes first."""
        self.assertIn(res.status, ("NO", "BAD"), res)
        if text is not None:
            self.assertTrue(res.text.startswith(text),
                            "%r does not start with %r" % (res.text, text))


# --- the COI configuration entries (CS-07, CS-09, CS-16, CS-03) -----------

class CoiConfigHostile(HostileBase):
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi")

    STATE = {ENABLED: "yes", ROOT: "COI", FILTER: "seen"}

    def setUp(self):
        super().setUp()
        self.user = self.fresh_user("coihostile")
        self.c = self.imap(self.user)
        self.c.ok("SETMETADATA", '""', "(%s yes %s seen)" % (quote(ENABLED), quote(FILTER)))
        self.assertUnchanged()

    def assertUnchanged(self, client=None):
        self.assertCoiState(client or self.c, self.STATE)

    def invalid_enabled(self, shown):
        return 'invalid value for %s: "%s"' % (ENABLED, shown)

    def invalid_filter(self, shown):
        # Dovecot puts its timing before the last "." of a tagged reply, so
        # a cut value ("aaa...") reaches the client as "aaa.. (0.001 secs)."
        if shown.endswith("..."):
            shown = shown[:-1] + " ("
        return "invalid value for %s: %s" % (FILTER, shown)

    # overlong values

    def test_enabled_overlong_values(self):
        # 1 kB is where the plugin stops reading; 128 kB + 1 goes through
        # Dovecot's temporary file; 1 MB is far beyond both
        for size in (1023, 1024, 1025, 4096, DOVECOT_METADATA_INMEM + 1, 1024 * 1024):
            res = setmetadata_raw(self.c, quote(ENABLED), lit("y" * size))
            self.assertNo(res, "[CANNOT] " + self.invalid_enabled("y" * 61 + "..."))
            self.assertUnchanged()

    def test_filter_overlong_values(self):
        for size in (15, 16, 17, 1025, DOVECOT_METADATA_INMEM + 1):
            res = setmetadata_raw(self.c, quote(FILTER), lit("a" * size))
            shown = "a" * size if size <= 64 else "a" * 61 + "..."
            self.assertNo(res, "[CANNOT] " + self.invalid_filter(shown))
            self.assertUnchanged()

    def test_filter_valid_word_padded(self):
        for value in ("active" + " " * 100, " active", "active\x00", "active" + "\x00" * 2000):
            res = setmetadata_raw(self.c, quote(FILTER), lit(value))
            self.assertNo(res, "[CANNOT] invalid value for %s: " % FILTER)
            self.assertUnchanged()

    def test_enabled_long_quoted_value(self):
        # a quoted string just under Dovecot's line limit
        res = setmetadata_raw(self.c, quote(ENABLED), quote("y" * (DOVECOT_MAX_LINE - 200)))
        self.assertNo(res, "[CANNOT] " + self.invalid_enabled("y" * 61 + "..."))
        self.assertUnchanged()

    # binary data, NULs, invalid UTF-8, control characters

    def test_enabled_nul_octets(self):
        for value, shown in ((b"yes\x00", "yes?"), (b"\x00yes", "?yes"), (b"y\x00s", "y?s"),
                             (b"\x00", "?"), (b"\x00" * 64, "?" * 64),
                             (b"\x00" * 65, "?" * 61 + "...")):
            res = setmetadata_raw(self.c, quote(ENABLED), lit(value))
            self.assertNo(res, "[CANNOT] " + self.invalid_enabled(shown))
            self.assertUnchanged()

    def test_enabled_literal8_binary(self):
        for value in (b"yes\x00\xff", bytes(range(256)), b"\x00" * 5000):
            res = setmetadata_raw(self.c, quote(ENABLED), lit8(value))
            self.assertNo(res, "[CANNOT] invalid value for %s: " % ENABLED)
            self.assertUnchanged()

    def test_filter_literal8_binary(self):
        res = setmetadata_raw(self.c, quote(FILTER), lit8(b"seen\x00active"))
        self.assertNo(res, "[CANNOT] " + self.invalid_filter("seen?active"))
        self.assertUnchanged()

    def test_invalid_utf8_and_controls(self):
        values = (b"\xff\xfe", b"y\xc3", b"\xc0\xaf", b"\xed\xa0\x80",  # overlong, surrogate
                  b"yes\r\n", b"\x1b[31myes", b"yes\x7f", "yés".encode(), "ｙｅｓ".encode())
        for entry in (ENABLED, FILTER):
            for value in values:
                res = setmetadata_raw(self.c, quote(entry), lit(value))
                self.assertNo(res, "[CANNOT] invalid value for %s: " % entry)
                # no raw control character reaches the client
                self.assertFalse(any(ord(ch) < 0x20 for ch in res.text), res.text)
                self.assertUnchanged()

    def test_mailbox_root_hostile_values(self):
        # per-user roots are off (the default): every value is refused
        # the same way, before the value is looked at
        for value in (b"", b"x" * (DOVECOT_METADATA_INMEM + 1), b"a\x00b", b"\xff",
                      b"INBOX", b"../../etc", b"COI/../x", b"%", b"*"):
            res = setmetadata_raw(self.c, quote(ROOT), lit(value))
            self.assertNo(res, "[CANNOT] unable to set " + ROOT)
            self.assertUnchanged()

    def test_atom_and_nil_variants(self):
        # an atom value (Dovecot accepts it) goes through the same rules
        res = setmetadata_raw(self.c, quote(ENABLED), "YES")
        self.assertNo(res, "[CANNOT] " + self.invalid_enabled("YES"))
        self.assertUnchanged()
        # "NIL" as a string is a value, not NIL
        res = setmetadata_raw(self.c, quote(ENABLED), quote("NIL"))
        self.assertNo(res, "[CANNOT] " + self.invalid_enabled("NIL"))
        self.assertUnchanged()
        # a list is not a value at all
        res = setmetadata_raw(self.c, quote(ENABLED), "(yes)")
        self.assertEqual(res.status, "BAD", res)
        self.assertUnchanged()

    # many entries in one SETMETADATA

    def test_one_bad_entry_fails_the_whole_command(self):
        # valid first, invalid last, and the other way round: nothing of
        # the command is stored
        for pairs in ((quote(FILTER), quote("active"), quote(ENABLED), quote("YES")),
                      (quote(ENABLED), quote("YES"), quote(FILTER), quote("active")),
                      (quote(FILTER), quote("none"), quote(FILTER), quote("bogus")),
                      (quote(ENABLED), "NIL", quote(C + "/colour"), quote("blue"))):
            res = setmetadata_raw(self.c, *pairs)
            self.assertNo(res, "[CANNOT] ")
            self.assertUnchanged()

    def test_many_entries_in_one_command(self):
        # 1000 valid settings of the same entry, then one invalid one
        pairs = []
        for i in range(1000):
            pairs += [quote(FILTER), quote(("none", "active", "seen")[i % 3])]
        res = setmetadata_raw(self.c, *(pairs + [quote(ENABLED), quote("maybe")]))
        self.assertNo(res, "[CANNOT] " + self.invalid_enabled("maybe"))
        self.assertUnchanged()
        # 2000 entries the spec does not define
        pairs = []
        for i in range(2000):
            pairs += [quote("%s/x%d" % (C, i)), quote("v")]
        res = setmetadata_raw(self.c, *pairs)
        self.assertNo(res, "[CANNOT] ")
        self.assertUnchanged()
        res, values = self.c.getmetadata(C, depth="infinity")
        self.assertEqual(values, self.STATE)

    def test_many_valid_entries_in_one_command(self):
        # OK: the last value of an entry wins
        pairs = []
        for i in range(999):
            pairs += [quote(FILTER), quote(("seen", "none", "active")[i % 3])]
        res = setmetadata_raw(self.c, *pairs)
        self.assertTrue(res.ok, res)
        self.assertEqual(self.c.getmeta(FILTER), "active")
        self.c.ok("SETMETADATA", '""', "(%s seen)" % quote(FILTER))
        self.assertUnchanged()

    # GETMETADATA with odd options and many entries

    def test_getmetadata_options(self):
        res, values = self.c.getmetadata(ENABLED, maxsize=1)
        self.assertTrue(res.ok, res)
        self.assertTrue(res.text.startswith("[METADATA LONGENTRIES 3]"), res.text)
        self.assertEqual(values, {})
        for opts in ("(DEPTH 2)", "(DEPTH -1)", "(MAXSIZE -1)", "(MAXSIZE 99999999999999)",
                     "(DEPTH 1 DEPTH)", "(FOO 1)"):
            res = self.c.command("GETMETADATA", opts, '""', quote(ENABLED))
            self.assertEqual(res.status, "BAD", (opts, res))
        res, values = self.c.getmetadata(C, depth="infinity", maxsize=4)
        self.assertEqual(values, {ENABLED: "yes", ROOT: "COI", FILTER: "seen"})
        self.assertUnchanged()

    def test_getmetadata_many_entries(self):
        names = [ENABLED, ROOT, FILTER] * 300 + ["%s/x%d" % (C, i) for i in range(300)]
        res, values = self.c.getmetadata(names)
        self.assertTrue(res.ok, res)
        expected = dict(self.STATE)
        expected.update({"%s/x%d" % (C, i): None for i in range(300)})
        self.assertEqual(values, expected)
        self.assertUnchanged()

    # entry names with odd characters

    def test_entry_names_dovecot_refuses(self):
        # Dovecot's own METADATA syntax: BAD with its text
        for name, text in ((ENABLED + "/", "Entry name can't end with '/'"),
                           (C + "//enabled", "Entry name can't contain consecutive '/'"),
                           (C + "/enab*led", "Entry name can't contain '*'"),
                           (C + "/enab%led", "Entry name can't contain '%'"),
                           (C + "/enab\x01led", "Entry name can't contain control chars"),
                           (C + "/enabled\x19", "Entry name can't contain control chars"),
                           # 8-bit octets are below 0x19 as signed chars
                           (C + "/\u00e9nabled", "Entry name can't contain control chars"),
                           ("private/vendor/vendor.dovecot/coi/config/enabled",
                            "Entry name must begin with '/'"),
                           ("/privat/vendor/vendor.dovecot/coi/config/enabled",
                            "Entry name must begin with /private or /shared")):
            res = setmetadata_raw(self.c, lit(name), quote("no"))
            self.assertEqual(res.status, "BAD", (name, res))
            self.assertIn(text, res.text)
            self.assertUnchanged()

    def test_entry_names_we_refuse(self):
        # well-formed names below coi/ that the spec does not define (CS-03)
        for name in (C + "/enabled2", C + "/enabled/x", C + "/en abled", C + "/enabled\x7f",
                     C + "/" + "x" * 1000, C,
                     "/private/vendor/vendor.dovecot/coi",
                     "/shared/vendor/vendor.dovecot/coi/config/enabled"):
            res = setmetadata_raw(self.c, lit(name), quote("yes"))
            self.assertNo(res, "[CANNOT] ")
            self.assertUnchanged()
        res, values = self.c.getmetadata("/private/vendor/vendor.dovecot/coi", depth="infinity")
        self.assertEqual(values, self.STATE)

    def test_entry_name_case_is_folded(self):
        # OK: entry names are case-insensitive, the value is not
        res = setmetadata_raw(self.c, quote(ENABLED.upper()), quote("YES"))
        self.assertNo(res, "[CANNOT] " + self.invalid_enabled("YES"))
        self.assertUnchanged()
        res = setmetadata_raw(self.c, quote(FILTER.upper()), quote("none"))
        self.assertTrue(res.ok, res)
        self.assertEqual(self.c.getmeta(FILTER), "none")
        self.c.ok("SETMETADATA", '""', "(%s seen)" % quote(FILTER))
        self.assertUnchanged()

    # literal sizes at and over Dovecot's limits

    def test_entry_name_literal_over_line_limit(self):
        # Dovecot disconnects ("Literal size too large"); nothing changes
        name = C + "/" + "x" * DOVECOT_MAX_LINE
        self.assertDisconnectedBy(b'x1 SETMETADATA "" (' + lit(name) + b' "yes")\r\n')

    def test_value_literal_size_overflow(self):
        # a literal size beyond 2^64: Dovecot disconnects
        self.assertDisconnectedBy(('x1 SETMETADATA "" (%s {184467440737095516160+}\r\n'
                                   % quote(ENABLED)).encode())

    def test_value_literal_announced_not_sent(self):
        # 10 GB announced, 100 kB sent, then the client goes away: the
        # half-read value is dropped
        self.c.send_raw(('x1 SETMETADATA "" (%s {10000000000+}\r\n' % quote(ENABLED)).encode()
                        + b"y" * 100000)
        self.c.close()
        self.assertUnchanged(self.reconnect())

    def test_synchronizing_literal_at_value_limit(self):
        # {n} waits for "+ OK" before the value is sent
        value = b"s" * (DOVECOT_METADATA_INMEM + 1)
        self.c.send_raw(('x1 SETMETADATA "" (%s {%d}\r\n' % (quote(FILTER), len(value))).encode())
        self.assertTrue(self.c.read_response_line().startswith(b"+"))
        self.c.send_raw(value + b")\r\n")
        res = self.c.read_until_tagged("x1")
        self.assertNo(res, "[CANNOT] " + self.invalid_filter("s" * 61 + "..."))
        self.assertUnchanged()

    def test_other_session_sees_old_values(self):
        other = self.imap(self.user)
        for value in (b"\x00" * 100, b"\xff" * 100, b"Y" * 200000):
            self.assertNo(setmetadata_raw(self.c, quote(ENABLED), lit(value)), "[CANNOT] ")
            self.assertUnchanged(other)


class CoiConfigHostileWithoutImapMetadata(CoiConfigHostile):
    """The same, with the admin's general imap_metadata off (CS-02): only
    the COI entries exist, and hostile input meets the same rules."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi", imap_metadata=False)


# --- the WebPush entries (WP-02..WP-04, WP-07, WP-09, WP-11) --------------

try:
    from coitest.webpush import WebPushTestCase, validation_token
except ImportError:  # the WebPush METADATA harness is not on main yet
    WebPushTestCase, validation_token = DovecotTestCase, None

SECRET = "coitest-hostile-validation-secret-0123456789"


def sub_json(endpoint, p256dh, auth, client="coitest", device="hostile", msgtype="all",
             extra=""):
    import json
    text = json.dumps({"client": client, "device": device, "msgtype": msgtype,
                       "resource": {"endpoint": endpoint,
                                    "keys": {"p256dh": p256dh, "auth": auth}}},
                      separators=(",", ":"))
    return text[:-1] + extra + "}" if extra else text


@unittest.skipIf(validation_token is None,
                 "needs the WebPush METADATA (branch push-imap), not on main yet")
class WebPushHostile(HostileBase, WebPushTestCase):
    """push_coi with a VAPID key and the HTTPS push receiver. Each test
    starts with one validated subscription of a fresh user; whatever the
    hostile input, GETMETADATA shows it (and the VAPID key) unchanged."""

    @classmethod
    def extra_settings(cls):
        # a known secret, so the tests can validate; no throttle or lockout
        # (WP-20), which would otherwise answer the later cases
        return {"webpush_validation_secret": SECRET,
                "webpush_subscription_create_max": "0",
                "webpush_validation_fail_max": "0"}

    def setUp(self):
        super().setUp()
        self.user = self.fresh_user("wphostile")
        self.c = self.imap(self.user)
        self.sid = "hostile-%s" % self.user
        self.subscriber, self.endpoint = self.rx.subscriber(self.user)
        self.subscribe(self.sid, self.endpoint)
        self.before = self.subscriptions_raw()
        self.assertEqual(list(self.before), [S + "/" + self.sid])
        self.assertIn('"validated":true', self.before[S + "/" + self.sid])
        self.vapid = self.c.getmeta(V)
        self.assertTrue(self.vapid.startswith("-----BEGIN PUBLIC KEY-----"), self.vapid)

    def sub(self, endpoint=None, **kw):
        """Subscription JSON with this test's subscriber keys."""
        kw.setdefault("p256dh", self.subscriber.p256dh)
        kw.setdefault("auth", self.subscriber.auth_b64u)
        return sub_json(self.endpoint if endpoint is None else endpoint, **kw)

    def subscribe(self, sid, endpoint, **kw):
        """Stores and validates subscription sid."""
        self.c.ok("SETMETADATA", '""', b"(" + quote(S + "/" + sid).encode() + b" "
                  + lit(self.sub(endpoint, **kw)) + b")")
        token = validation_token(SECRET, self.user, sid, endpoint)
        self.c.ok("SETMETADATA", '""', "(%s %s)" % (quote(S + "/" + sid + "/validate"),
                                                  quote(token)))

    def subscriptions_raw(self, client=None):
        res, values = (client or self.c).getmetadata(S, depth=1)
        self.assertTrue(res.ok, res)
        return values

    def assertUnchanged(self, client=None):
        self.assertEqual(self.subscriptions_raw(client), self.before)
        self.assertEqual((client or self.c).getmeta(V), self.vapid)

    def set_sub(self, value, sid=None):
        name = S + "/" + (sid or self.sid)
        return setmetadata_raw(self.c, quote(name), value if isinstance(value, bytes) else lit(value))

    # overlong and huge values

    def test_overlong_subscription_values(self):
        for size in (4097, 65536, DOVECOT_METADATA_INMEM + 1, 2 * 1024 * 1024):
            res = self.set_sub(self.sub(device="x" * size))
            self.assertNo(res, "[CANNOT] invalid subscription: ")
            self.assertUnchanged()

    def test_overlong_fields(self):
        for kw, field in ((dict(client="c" * 129), "client"),
                          (dict(device="d" * 129), "device"),
                          (dict(endpoint=self.endpoint + "/" + "e" * 512), "resource.endpoint"),
                          (dict(p256dh="A" * 257), "resource.keys.p256dh")):
            res = self.set_sub(self.sub(**kw))
            self.assertNo(res, "[CANNOT] invalid subscription: ")
            self.assertIn(field, res.text)
            self.assertUnchanged()

    def test_fields_at_their_limits_are_ok(self):
        # OK: 128-octet client and device, 512-octet endpoint
        name = self.user + "/"
        name += "e" * (512 - len(self.rx.endpoint(name)))
        _, endpoint = self.rx.subscriber(name, self.subscriber)
        self.assertEqual(len(endpoint), 512)
        sid = "limits-" + self.user
        self.subscribe(sid, endpoint, client="c" * 128, device="d" * 128)
        self.assertEqual(len(self.subscriptions_raw()), 2)
        self.c.ok("SETMETADATA", '""', "(%s NIL)" % quote(S + "/" + sid))
        self.assertUnchanged()

    # deeply nested and malformed JSON

    def test_deeply_nested_json(self):
        for depth in (100, 2000, 100000):
            for doc in ("[" * depth + "]" * depth,
                        "{\"a\":" * depth + "1" + "}" * depth,
                        "[" * depth):
                res = self.set_sub(doc)
                self.assertNo(res, "[CANNOT] invalid subscription: ")
                self.assertUnchanged()
        # in an unknown member: too large for a subscription
        for depth in (2100, 100000):
            res = self.set_sub(self.sub(extra=",\"x\":" + "[" * depth + "]" * depth))
            self.assertNo(res, "[CANNOT] invalid subscription: ")
            self.assertUnchanged()

    def test_nested_unknown_member_is_dropped(self):
        # OK (WP-05): an unknown member, however nested, is not stored
        res = self.set_sub(self.sub(extra=",\"x\":" + "[" * 1000 + "]" * 1000))
        self.assertTrue(res.ok, res)
        stored = self.subscriptions_raw()[S + "/" + self.sid]
        self.assertNotIn("[", stored)
        self.assertNotIn('"x"', stored)
        self.subscribe(self.sid, self.endpoint)
        self.before = self.subscriptions_raw()
        self.assertUnchanged()

    def test_nested_value_in_a_field(self):
        doc = self.sub().replace('"client":"coitest"', '"client":' + "[" * 50 + "]" * 50)
        res = self.set_sub(doc)
        self.assertNo(res, "[CANNOT] invalid subscription: ")
        self.assertIn("client", res.text)
        self.assertUnchanged()

    def test_malformed_json(self):
        good = self.sub()
        for doc in ("", " ", "null", "true", "0", "\"x\"", "[]", "{}", "{", "}",
                    good + "x", good + good, good[:-1], "\ufeff" + good,
                    good.replace(":", "=", 1), good.replace('"', "'"),
                    good.replace('"client":"coitest"', '"client":"coitest","client":"x"'),
                    good.replace('"coitest"', "1e999999"),
                    good.replace('"coitest"', "-" + "9" * 3000),
                    good.replace('"coitest"', '"\\ud800"'),
                    good.replace('"coitest"', '"\\u0000"'),
                    good.replace('"coitest"', '"co\\u0000test"'),
                    good.replace('"coitest"', '"\\x41"'),
                    good.replace('"all"', '"ALL"'),
                    good.replace('"all"', '"chat "'),
                    good.replace('"all"', "null"),
                    good.replace('"resource":{', '"resource":[{').replace("}}}", "}]}")):
            res = self.set_sub(doc)
            self.assertNo(res, "[CANNOT] invalid subscription: ")
            self.assertUnchanged()

    def test_binary_nul_and_invalid_utf8(self):
        good = self.sub().encode()
        for doc in (good.replace(b"coitest", b"coi\x00test"),
                    good + b"\x00",
                    b"\x00" + good,
                    good.replace(b"coitest", b"coi\xfftest"),
                    good.replace(b"coitest", b"\xc0\xaf"),
                    good.replace(b"coitest", b"\xed\xa0\x80"),
                    good.replace(b"coitest", b"co\r\nitest"),
                    bytes(range(256)) * 4):
            for encode in (lit, lit8):
                res = self.set_sub(encode(doc))
                self.assertNo(res, "[CANNOT] invalid subscription: ")
                self.assertUnchanged()

    def test_invalid_keys(self):
        p256dh, auth = self.subscriber.p256dh, self.subscriber.auth_b64u
        off_curve = P256DH_RFC8291[:-1] + "8"
        for key, secret, field in (
                ("", auth, "resource.keys.p256dh"),
                ("!!!!", auth, "resource.keys.p256dh"),
                (off_curve, auth, "resource.keys.p256dh"),
                ("B" + "A" * 86, auth, "resource.keys.p256dh"),  # the point (0, 0)
                ("A" * 87, auth, "resource.keys.p256dh"),
                (p256dh + "AAAA", auth, "resource.keys.p256dh"),
                (p256dh, auth[:-2], "resource.keys.auth"),
                (p256dh, auth + "AAAA", "resource.keys.auth"),
                (p256dh, "\u00e9" * 22, "resource.keys.auth"),
                (p256dh, "A" * 100000, "resource.keys.auth")):
            doc = self.sub(p256dh=key, auth=secret)
            res = self.set_sub(doc)
            self.assertNo(res, "[CANNOT] invalid subscription: ")
            if len(doc) <= 4096:
                self.assertIn(field, res.text)
            self.assertUnchanged()

    def test_hostile_endpoints(self):
        for endpoint in ("", "x", "ftp://127.0.0.1/x", "https://user:pw@127.0.0.1/x",
                         "https://127.0.0.1/x#frag", "https://127.0.0.1:99999/x",
                         "https://[::1/x", "https://127.0.0.1/\x01", "https://127.0.0.1/\u00e9",
                         "https://127.0.0.1/%zz", "http://127.0.0.1/x",
                         "javascript:alert(1)", "file:///etc/passwd"):
            res = self.set_sub(self.sub(endpoint=endpoint))
            self.assertNo(res, "[CANNOT] invalid subscription: ")
            self.assertIn("resource.endpoint", res.text)
            self.assertUnchanged()

    # subscription IDs and entry names with odd characters (WP-03)

    def test_hostile_subscription_ids(self):
        # (the value is quoted: see test_dovecot_panics_on_bad_name_with_literal)
        doc = quote(self.sub())
        for sid in ("", "short", "a" * 9, "a" * 37, "a" * 5000, "abc.defghij", "abc+defghij",
                    "abc defghij", "abc\u00e9defghij", "abc\x7fdefghij", "..", "../../../etc",
                    "abcdefghij/extra", "abcdefghij/validate/x", "abc\\defghij",
                    "abc\"defghij", "abc'defghij", "abc{defghij}"):
            res = setmetadata_raw(self.c, lit(S + "/" + sid), doc)
            self.assertRefused(res)
            self.assertUnchanged()

    def test_entry_names_dovecot_refuses(self):
        doc = quote(self.sub())
        for name in (S + "/", S + "//abcdefghij", S + "/abcdefghij*", S + "/abcdefghij%",
                     S + "/abcdefghij\x01"):
            res = setmetadata_raw(self.c, lit(name), doc)
            self.assertEqual(res.status, "BAD", (name, res))
            self.assertUnchanged()
        # Dovecot cuts a literal entry name at a NUL: the ID is then "abc"
        res = setmetadata_raw(self.c, lit(S + "/abc\x00defghij"), doc)
        self.assertNo(res, '[CANNOT] invalid subscription ID "abc"')
        self.assertUnchanged()

    def test_ids_differing_in_case_are_one(self):
        # OK: the same ID in upper case replaces the subscription (it
        # starts unvalidated again), it does not add one
        res = self.set_sub(self.sub(device="again"), sid=self.sid.upper())
        self.assertTrue(res.ok, res)
        subs = self.subscriptions_raw()
        self.assertEqual(list(subs), [S + "/" + self.sid])
        self.assertIn('"device":"again"', subs[S + "/" + self.sid])
        self.assertIn('"validated":false', subs[S + "/" + self.sid])
        self.subscribe(self.sid, self.endpoint)
        self.before = self.subscriptions_raw()
        self.assertUnchanged()

    def test_unknown_webpush_entries(self):
        for name in (W + "/subscription/abcdefghij", W + "/vapid/private", W + "/vapid-private",
                     W + "/x", W, S):
            res = setmetadata_raw(self.c, quote(name), quote("x"))
            self.assertRefused(res)
            self.assertUnchanged()

    def test_vapid_is_read_only(self):
        for value in (quote("-----BEGIN PUBLIC KEY-----"), "NIL", lit(b"\x00" * 1000),
                      lit("x" * (DOVECOT_METADATA_INMEM + 1))):
            res = setmetadata_raw(self.c, quote(V), value)
            self.assertNo(res, "[CANNOT] ")
            self.assertUnchanged()

    # validation tokens (WP-09)

    def test_hostile_validation_tokens(self):
        good = validation_token(SECRET, self.user, self.sid, self.endpoint).encode()
        for token in (b"", b"x" * 1025, b"x" * (DOVECOT_METADATA_INMEM + 1), b"\x00" * 32,
                      b"\xff" * 32, "\u00e9".encode() * 100, good + b"\x00", good + b"A",
                      good[:-1], good.upper(), b" " + good):
            res = setmetadata_raw(self.c, quote(S + "/" + self.sid + "/validate"), lit(token))
            self.assertNo(res, "[CANNOT] invalid validation")
            self.assertUnchanged()
        res = setmetadata_raw(self.c, quote(S + "/" + self.sid + "/validate"), "NIL")
        self.assertNo(res, "[CANNOT] invalid validation")
        self.assertUnchanged()

    # many entries in one SETMETADATA

    def test_one_bad_subscription_fails_the_whole_command(self):
        good = lit(self.sub())
        bad = lit(self.sub(msgtype="never"))
        res = setmetadata_raw(self.c, quote(S + "/new-one-" + self.user), good,
                              quote(S + "/new-two-" + self.user), bad)
        self.assertNo(res, "[CANNOT] invalid subscription: ")
        self.assertUnchanged()
        res = setmetadata_raw(self.c, quote(S + "/" + self.sid), "NIL",
                              quote(S + "/new-two-" + self.user), bad)
        self.assertNo(res, "[CANNOT] invalid subscription: ")
        self.assertUnchanged()

    def test_many_subscriptions_in_one_command(self):
        # the per-user maximum (WP-07, default 10) also counts the new
        # subscriptions of the same SETMETADATA: refused, none stored.
        # Refused with BAD here: after the entry that fails, Dovecot 2.3's
        # SETMETADATA no longer reads the literal values of the entries that
        # follow and then stumbles over them ("Invalid literal size"); the
        # transaction is rolled back either way. The rest of the command's
        # input then reads as garbage, so a new connection checks the result.
        pairs = []
        for i in range(30):
            pairs += [quote("%s/many-%04d-%s" % (S, i, self.user)), lit(self.sub())]
        res = setmetadata_raw(self.c, *pairs)
        self.assertRefused(res)
        self.c.close()
        self.c = self.imap(self.user)
        self.assertUnchanged()

    def test_many_removals_in_one_command(self):
        # OK: removing IDs that do not exist changes nothing
        pairs = []
        for i in range(1000):
            pairs += [quote("%s/gone-%04d-%s" % (S, i, self.user)), "NIL"]
        res = setmetadata_raw(self.c, *pairs)
        self.assertTrue(res.ok, res)
        self.assertUnchanged()

    # literal sizes over Dovecot's limits

    def test_value_literal_announced_not_sent(self):
        self.c.send_raw(('x1 SETMETADATA "" (%s {10000000000+}\r\n'
                         % quote(S + "/" + self.sid)).encode() + b"{" * 100000)
        self.c.close()
        self.assertUnchanged(self.reconnect())

    def test_entry_name_literal_over_line_limit(self):
        name = S + "/" + "a" * DOVECOT_MAX_LINE
        self.assertDisconnectedBy(b'x1 SETMETADATA "" (' + lit(name) + b" NIL)\r\n")


class CoiEntriesOutsideTheServer(HostileBase):
    """The COI entries exist only as server annotations (mailbox ""): the
    same names on a mailbox are ordinary mailbox METADATA, and the storage
    behind the server entries is not reachable by any name."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi")

    def test_internal_keys_are_not_reachable(self):
        c = self.imap(self.fresh_user("coiinternal"))
        c.ok("SETMETADATA", '""', "(%s yes)" % quote(ENABLED))
        for mailbox in ('""', "INBOX"):
            for prefix in ("/private", "/shared"):
                name = prefix + "/vendor/vendor.dovecot/pvt/server/vendor/vendor.dovecot/coi/config/enabled"
                res = c.command("SETMETADATA", mailbox, "(%s %s)" % (quote(name), quote("YES")))
                self.assertNo(res, "[CANNOT] Internal mailbox attributes cannot be accessed")
                res, values = c.getmetadata(name, mailbox=mailbox.strip('"'))
                self.assertIn(res.status, ("OK", "NO"), res)
                self.assertNotIn("YES", values.values())
        self.assertEqual(c.getmeta(ENABLED), "yes")

    def test_same_names_on_a_mailbox_do_not_touch_the_server_entries(self):
        c = self.imap(self.fresh_user("coiinbox"))
        c.ok("SETMETADATA", '""', "(%s yes %s active)" % (quote(ENABLED), quote(FILTER)))
        res = c.command("SETMETADATA", "INBOX", "(%s %s %s %s)" % (
            quote(ENABLED), quote("YES"), quote(FILTER), quote("\u00e9".encode().decode())))
        self.assertIn(res.status, ("OK", "NO"), res)
        res, values = c.getmetadata(C, depth=1)
        self.assertEqual(values, {ENABLED: "yes", ROOT: "COI", FILTER: "active"})


class PerUserRootHostile(HostileBase):
    """With coi_mailbox_root_per_user = yes a user names the root: odd
    names are refused with the CS-07 text or accepted and usable; none
    leaves the old root or an Error in the log."""
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi",
                        plugin=dict(coi_mailbox_root_per_user="yes"))

    def setUp(self):
        super().setUp()
        self.user = self.fresh_user("rootuser")
        self.c = self.imap(self.user)
        self.c.ok("SETMETADATA", '""', "(%s %s)" % (quote(ROOT), quote("Chat")))
        self.c.ok("SETMETADATA", '""', "(%s yes)" % quote(ENABLED))
        self.state = {ENABLED: "yes", ROOT: "Chat", FILTER: "none"}
        self.assertUnchanged()

    def assertUnchanged(self, client=None):
        self.assertCoiState(client or self.c, self.state)

    def test_refused_roots(self):
        for value in (b"~", b"~/x", b".", b"..", b"../x",
                      b"a/../b", b"a/./b", b"x" * 256, b"a" + b"/a" * 200, b"a\x00b",
                      b"\xff\xfe", b"a\x7fb", b"a\x1bb", b"/", b"//", b"a//b", b"COI/"):
            res = setmetadata_raw(self.c, quote(ROOT), lit(value))
            self.assertNo(res, '[CANNOT] invalid value for %s: "' % ROOT)
            self.assertUnchanged()

    def test_odd_but_valid_roots(self):
        # OK: each is a usable mailbox name; Chats and Contacts are made
        # below it at once (COI is enabled)
        # (Dovecot's own CREATE allows "*" and "%" in names too)
        for value in ("*", "%", "a*b", "\u00dcbersicht", "Chat &Co", "a&-b", "INBOX", "Trash",
                      "a/b/c/d/e/f/g/h", "x" * 200, "\u65e5\u672c", "semi;colon", "quo\"te"):
            res = setmetadata_raw(self.c, quote(ROOT), lit(value))
            self.assertTrue(res.ok, (value, res))
            self.state[ROOT] = value
            self.assertUnchanged()
            self.assertIn(mutf7(value + "/Contacts"), self.c.list_mailboxes())

    def test_root_too_long_for_the_storage(self):
        # A root of 250 octets passes the value check (at most 255), but
        # Maildir cannot hold "<root>/Contacts" (one directory name over
        # 255 octets): refused as an invalid value, no Error in the log.
        res = setmetadata_raw(self.c, quote(ROOT), lit("x" * 250))
        self.assertUnchanged()
        self.assertNo(res, '[CANNOT] invalid value for %s: "' % ROOT)

    def test_root_and_enabled_in_one_command(self):
        # One SETMETADATA sets mailbox-root together with enabled (either
        # order) or message-filter: the folders are made under the new
        # root, which is not committed yet when the other entry is
        # handled (CS-10, CS-16).
        for n, entries in enumerate((
                (quote(ROOT), quote("Other"), quote(ENABLED), "yes"),
                (quote(ENABLED), "yes", quote(ROOT), quote("Other"))), 1):
            c = self.imap(self.fresh_user("rootuser%d" % n))
            c.ok("SETMETADATA", '""', "(%s)" % " ".join(entries))
            self.assertEqual(c.getmeta(ROOT), "Other")
            self.assertEqual(c.getmeta(ENABLED), "yes")
            boxes = c.list_mailboxes()
            self.assertIn("Other/Chats", boxes)
            self.assertIn("Other/Contacts", boxes)
            if n == 1:
                # root first: nothing under the old root; enabled first
                # made the folders under the old root before the new one
                # was known, and the root then carries COI to its new place
                self.assertNotIn("COI/Chats", boxes)
        c = self.imap(self.fresh_user("rootuser3"))
        c.ok("SETMETADATA", '""', "(%s %s %s active)" % (quote(ROOT), quote("Third"),
                                                        quote(FILTER)))
        self.assertIn("Third/Chats", c.list_mailboxes())


class DovecotSetmetadataPanic(HostileBase):
    """Found by these tests, in Dovecot itself (2.3.19.1, no plugin
    loaded): SETMETADATA whose entry name Dovecot refuses, followed by a
    value sent as a literal, panics the imap process
    ("assertion failed: (!cmd->tagline_sent)" in client_default_send_tagline):
    the client is disconnected, nothing is stored. The other tests send
    such names with quoted values."""
    dovecot_args = dict(mail_plugins="", imap_plugins="")

    @unittest.skip("Dovecot 2.3.19.1 bug (not ours): the imap process panics")
    def test_dovecot_panics_on_bad_name_with_literal(self):
        c = self.imap(self.fresh_user("panic"))
        res = setmetadata_raw(c, quote("/private/vendor/x/"), lit("hello"))
        self.assertEqual(res.status, "BAD", res)
