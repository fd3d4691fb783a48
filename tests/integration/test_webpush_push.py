"""IMAP WebPush pushes, end to end: a real Dovecot with coi and push_coi,
real LMTP and dovecot-lda deliveries, and the real HTTPS push receiver that
verifies VAPID and decrypts every push (WP-08, WP-09, WP-13, CS-11, and
404/410 removing subscriptions)."""

import json
import os
import time

from coitest import Answer, message
from coitest.webpush import WebPushTestCase, sub_entry as _sub_entry

C = "/private/vendor/vendor.dovecot/coi/config"


def sub_entry(name):
    """The subscription of receiver path name: its ID is name-subscription
    (IDs have at least 10 characters); a /validate suffix is kept."""
    base, sep, rest = name.partition("/")
    return _sub_entry(base + "-subscription" + sep + rest)


class PushCase(WebPushTestCase):
    """push_notification_driver = webpush; no throttling."""

    @classmethod
    def extra_settings(cls):
        return {"push_notification_driver": "webpush",
                "webpush_subscription_create_max": "0",
                "webpush_validation_fail_max": "0",
                "webpush_retry_delay": "100ms",
                "webpush_max_retry_time": "5s"}

    def subscribe(self, client, user, name, msgtype="all", validate=True):
        """Sets a subscription for receiver path name (the ID is name);
        returns the subscriber. Validates it with the token of its
        validation push unless validate is False."""
        sub, endpoint, value = self.new_subscriber(name, msgtype=msgtype)
        res = client.setmetadata(sub_entry(name), value)
        self.assertTrue(res.ok, res)
        req = self.rx.wait_requests(name, 1)[-1]
        self.assertIsNone(req.vapid_error)
        self.assertIsNone(req.decrypt_error)
        token = req.json()["validation"]
        if validate:
            res = client.setmetadata(sub_entry(name + "/validate"), token)
            self.assertTrue(res.ok, res)
        return sub

    def wait_payloads(self, name, count, timeout=15):
        """The decrypted payloads of name's pushes after its validation push."""
        reqs = self.rx.wait_requests(name, count + 1, timeout=timeout)
        for r in reqs[1:]:
            self.assertIsNone(r.vapid_error, r)
            self.assertIsNone(r.decrypt_error, r)
        return [r.json() for r in reqs[1:]]

    def wait_gone_record(self, user, timeout=10):
        """Waits until user's spool has a gone record, written by the
        process that got the 404/410 (an ending dovecot-lda, or the Web
        Push service, which may hand the answer to a process that is
        ending and does not log it); returns the spool directory."""
        spool = os.path.join(self.dc.home(user), ".webpush-spool")
        deadline = time.time() + timeout
        while time.time() < deadline and not (
                os.path.isdir(spool) and any(n.endswith(".gone") for n in os.listdir(spool))):
            time.sleep(0.05)
        return spool

    def push_count(self, name):
        return len(self.rx.requests(name)) - 1

    def marker(self, user, names, via="lmtp"):
        """Delivers a plain marker message and waits until each of names
        (mail or all subscriptions) got its push: every push of a message
        delivered earlier has arrived by then (pushes go out in order)."""
        before = {n: self.push_count(n) for n in names}
        subject = "marker %f" % time.time()
        _, msg = message(subject=subject)
        if via == "lmtp":
            self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        else:
            self.assertEqual(self.dc.lda_deliver(user, msg).returncode, 0)
        for n in names:
            payloads = self.wait_payloads(n, before[n] + 1)
            self.assertEqual(payloads[-1].get("subject"), subject)
        return subject


class ValidationPush(PushCase):
    def test_validation_push(self):
        """WP-08: a new subscription gets an encrypted, VAPID-signed push
        {"validation": token} with the WebPush-Validation header (no value),
        and its token validates the subscription (WP-09)."""
        c = self.imap("vp1")
        sub, endpoint, value = self.new_subscriber("vp1-phone")
        self.assertTrue(c.setmetadata(sub_entry("vp1-phone"), value).ok)
        req = self.rx.wait_requests("vp1-phone", 1)[0]
        self.assertEqual(req.headers.get("webpush-validation"), "")
        self.assertIsNone(req.vapid_error)
        self.assertEqual(req.vapid["aud"], self.rx.origin())
        self.assertEqual(req.vapid["sub"], self.vapid_subject)
        self.assertIsNone(req.decrypt_error)
        self.assertEqual(req.headers.get("content-encoding"), "aes128gcm")
        self.assertIn("ttl", req.headers)
        payload = req.json()
        self.assertEqual(list(payload), ["validation"])
        self.assertLessEqual(len(payload["validation"]), 1024)
        self.assertIs(json.loads(c.getmeta(sub_entry("vp1-phone")))["validated"], False)
        res = c.setmetadata(sub_entry("vp1-phone/validate"), payload["validation"])
        self.assertTrue(res.ok, res)
        self.assertIs(json.loads(c.getmeta(sub_entry("vp1-phone")))["validated"], True)

    def test_setmetadata_does_not_wait_for_the_push_service(self):
        """WP-08: SETMETADATA answers while the push service still holds
        the validation push without an answer."""
        self.rx.subscriber("vp2-slow")
        self.rx.answer("vp2-slow", Answer(hang=True))
        c = self.imap("vp2")
        sub, endpoint, value = self.new_subscriber("vp2-slow")
        self.rx.answer("vp2-slow", Answer(hang=True))
        res = c.setmetadata(sub_entry("vp2-slow"), value)
        self.assertTrue(res.ok, res)
        self.rx.wait_requests("vp2-slow", 1)
        self.assertEqual(self.rx.hanging, 1)
        self.assertTrue(c.command("NOOP").ok)
        self.assertEqual(self.rx.hanging, 1)
        self.dc.expect_log(r"push-coi")

    def test_replacing_sends_a_new_validation_push(self):
        """Setting an existing ID again sends a new validation push."""
        c = self.imap("vp3")
        self.subscribe(c, "vp3", "vp3-phone")
        _, endpoint, value = self.new_subscriber("vp3-phone")
        self.assertTrue(c.setmetadata(sub_entry("vp3-phone"), value).ok)
        req = self.rx.wait_requests("vp3-phone", 2)[-1]
        self.assertIn("validation", req.json())
        self.assertEqual(req.headers.get("webpush-validation"), "")

    def test_gone_answer_removes_the_subscription(self):
        """A push service answering 410 (or 404) to the validation push
        gets the subscription removed."""
        c = self.imap("vp4")
        for name, status in (("vp4-gone410", 410), ("vp4-gone404", 404)):
            sub, endpoint, value = self.new_subscriber(name)
            self.rx.answer(name, status)
            self.assertTrue(c.setmetadata(sub_entry(name), value).ok)
            self.rx.wait_requests(name, 1)
            deadline = time.time() + 10
            while c.getmeta(sub_entry(name)) is not None and time.time() < deadline:
                time.sleep(0.1)
            self.assertIsNone(c.getmeta(sub_entry(name)))
            self.dc.wait_log(r"push-coi: Subscription %s-subscription removed: its push "
                             r"service answered %d" % (name, status))


class NewMailPushes(PushCase):
    """WP-13 with COI enabled (message-filter none: chat messages stay in
    INBOX and get $Chat)."""

    def setUp(self):
        super().setUp()

    def enable_coi(self, client, message_filter="none"):
        self.assertTrue(client.setmetadata(C + "/enabled", "yes").ok)
        self.assertTrue(client.setmetadata(C + "/message-filter", message_filter).ok)

    def test_msgtype_matching_lmtp_and_lda(self):
        """WP-13: chat messages push to chat and all subscriptions, other
        mail to mail and all; one push each; LMTP and dovecot-lda."""
        user = "np1"
        c = self.imap(user)
        self.enable_coi(c)
        for name, mt in (("np1-chat", "chat"), ("np1-mail", "mail"), ("np1-all", "all")):
            self.subscribe(c, user, name, msgtype=mt)
        msgid, chat = message(subject="chat via lmtp", chat=True)
        self.assertEqual(self.dc.lmtp_deliver(user, chat)[0], 250)
        _, mail = message(subject="mail via lda")
        self.assertEqual(self.dc.lda_deliver(user, mail).returncode, 0)
        _, chat2 = message(subject="chat via lda", chat=True)
        self.assertEqual(self.dc.lda_deliver(user, chat2).returncode, 0)
        _, mail2 = message(subject="mail via lmtp")
        self.assertEqual(self.dc.lmtp_deliver(user, mail2)[0], 250)

        subjects = lambda ps: sorted(p["subject"] for p in ps)
        self.assertEqual(subjects(self.wait_payloads("np1-all", 4)),
                         sorted(["chat via lmtp", "mail via lda", "chat via lda",
                                 "mail via lmtp"]))
        self.assertEqual(subjects(self.wait_payloads("np1-chat", 2)),
                         ["chat via lda", "chat via lmtp"])
        self.assertEqual(subjects(self.wait_payloads("np1-mail", 2)),
                         ["mail via lda", "mail via lmtp"])
        self.marker(user, ["np1-mail", "np1-all"])
        # exactly one push per message and subscription
        self.assertEqual(self.push_count("np1-chat"), 2)
        self.assertEqual(self.push_count("np1-mail"), 3)
        self.assertEqual(self.push_count("np1-all"), 5)

    def test_payload_has_real_uid_uidvalidity_folder(self):
        """WP-13/WP-14: the payload names the message as stored."""
        user = "np2"
        c = self.imap(user)
        self.enable_coi(c)
        self.subscribe(c, user, "np2-all")
        msgid, msg = message(subject="where am I")
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        p = self.wait_payloads("np2-all", 1)[0]
        st = c.status("INBOX")
        self.assertEqual(p["folder"], "INBOX")
        self.assertEqual(p["uidvalidity"], st["UIDVALIDITY"])
        self.assertEqual(p["uid"], st["UIDNEXT"] - 1)
        self.assertEqual(p["msg-id"], msgid.strip("<>"))
        self.assertEqual(p["from-email"], "sender@example.org")

    def test_chat_filed_into_chats_pushes_with_its_folder(self):
        """With message-filter active the chat message is stored in
        COI/Chats: the push names that folder and its UID."""
        user = "np3"
        c = self.imap(user)
        self.enable_coi(c, "active")
        self.subscribe(c, user, "np3-chat", msgtype="chat")
        _, msg = message(subject="filed chat", chat=True)
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        p = self.wait_payloads("np3-chat", 1)[0]
        st = c.status("COI/Chats")
        self.assertEqual(st["MESSAGES"], 1)
        self.assertEqual(p["folder"], "COI/Chats")
        self.assertEqual(p["uid"], st["UIDNEXT"] - 1)
        self.assertEqual(p["uidvalidity"], st["UIDVALIDITY"])

    def test_no_push_for_mdn_append_or_unvalidated(self):
        """WP-13: disposition notifications, IMAP APPEND and subscriptions
        that were never validated get no push."""
        user = "np4"
        c = self.imap(user)
        self.enable_coi(c)
        self.subscribe(c, user, "np4-all")
        self.subscribe(c, user, "np4-unval", validate=False)
        mdn = ("From: Bob <bob@example.org>\r\nTo: np4@example.com\r\n"
               "Subject: Read: hello\r\nMessage-ID: <mdn.1@example.org>\r\n"
               "MIME-Version: 1.0\r\n"
               "Content-Type: multipart/report; report-type=disposition-notification;\r\n"
               "\tboundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nRead.\r\n"
               "--b1\r\nContent-Type: message/disposition-notification\r\n\r\n"
               "Final-Recipient: rfc822;bob@example.org\r\n"
               "Disposition: manual-action/MDN-sent-manually; displayed\r\n--b1--\r\n")
        self.assertEqual(self.dc.lmtp_deliver(user, mdn)[0], 250)
        self.assertEqual(self.dc.lda_deliver(user, mdn).returncode, 0)
        _, appended = message(subject="appended")
        self.assertTrue(c.append("INBOX", appended).ok)
        self.marker(user, ["np4-all"])
        self.marker(user, ["np4-all"], via="lda")
        subjects = [p["subject"] for p in self.wait_payloads("np4-all", 2)]
        self.assertEqual(len(subjects), 2)
        self.assertTrue(all(s.startswith("marker") for s in subjects), subjects)
        self.assertEqual(self.push_count("np4-unval"), 0)
        self.assertEqual(c.status("INBOX")["MESSAGES"], 5)

    def test_gone_answer_to_a_new_mail_push(self):
        """404/410 to a push for new mail removes the subscription, also
        after the delivery's session ended."""
        user = "np5"
        c = self.imap(user)
        self.subscribe(c, user, "np5-dead")
        self.rx.answer("np5-dead", 410)
        _, msg = message(subject="to a dead phone")
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        self.rx.wait_requests("np5-dead", 2)
        deadline = time.time() + 10
        while c.getmeta(sub_entry("np5-dead")) is not None and time.time() < deadline:
            time.sleep(0.1)
        self.assertIsNone(c.getmeta(sub_entry("np5-dead")))

    def test_413_resends_the_new_mail_push_without_content(self):
        """WP-19: a 413 to a new-mail push brings the same push without
        content (its smaller body is encrypted only when it is needed),
        also when the 413 answers a retry."""
        user = "np9"
        c = self.imap(user)
        self.subscribe(c, user, "np9-big")
        self.rx.answer("np9-big", 413, 201, 503, 413, 201)
        _, msg = message(subject="too big for the phone")
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        first = self.wait_payloads("np9-big", 2)
        _, msg = message(subject="again after a retry")
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        second = self.wait_payloads("np9-big", 5)[2:]
        for payloads, subject in ((first, "too big for the phone"),
                                  (second[1:], "again after a retry")):
            big, small = payloads
            self.assertEqual((big["subject"], small["subject"]), (subject, subject))
            self.assertIn("content", big)
            self.assertNotIn("content", small)
            self.assertEqual({k: v for k, v in big.items()
                              if k not in ("content", "content-type", "content-encoding")},
                             small)
        self.assertEqual(second[0], second[1])
        self.assertEqual(self.push_count("np9-big"), 5)


    def test_gone_answer_while_lda_ends_is_applied_next_session(self):
        """dovecot-lda gets the push service's answer only in the bounded
        wait while it ends, when no session of the user is left: the 410 is
        recorded in the user's spool, and the subscription is removed when
        the user's next session starts."""
        user = "np6"
        c = self.imap(user)
        self.subscribe(c, user, "np6-dead")
        self.rx.answer("np6-dead", 410)
        _, msg = message(subject="to a dead phone via lda")
        res = self.dc.lda_deliver(user, msg)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.rx.wait_requests("np6-dead", 2)
        spool = self.wait_gone_record(user)
        self.assertEqual(len([n for n in os.listdir(spool) if n.endswith(".gone")]), 1)
        # the next session (here an IMAP login) removes it
        c2 = self.imap(user)
        self.assertIsNone(c2.getmeta(sub_entry("np6-dead")))
        self.dc.wait_log(r"Subscription np6-dead-subscription removed: its push "
                         r"service answered 410")
        self.assertEqual([n for n in os.listdir(spool) if n.endswith(".gone")], [])

    def test_old_gone_record_spares_a_newer_subscription(self):
        """A gone record older than the subscription with the same ID and
        endpoint (the client subscribed again) does not remove it."""
        user = "np7"
        c = self.imap(user)
        self.subscribe(c, user, "np7-phone")
        self.rx.answer("np7-phone", 410)
        _, msg = message(subject="gone then back")
        self.assertEqual(self.dc.lda_deliver(user, msg).returncode, 0)
        self.rx.wait_requests("np7-phone", 2)
        spool = self.wait_gone_record(user)
        gone = [n for n in os.listdir(spool) if n.endswith(".gone")]
        self.assertEqual(len(gone), 1)
        # the record says the answer came an hour ago
        path = os.path.join(spool, gone[0])
        with open(path) as f:
            record = json.load(f)
        record["time"] -= 3600
        with open(path, "w") as f:
            json.dump(record, f)
        self.rx.answer("np7-phone", 201)
        c2 = self.imap(user)
        self.assertIsNotNone(c2.getmeta(sub_entry("np7-phone")))
        self.assertFalse([n for n in os.listdir(spool) if n.endswith(".gone")])


class ChatRequiresCoi(PushCase):
    """CS-11: with webpush_chat_requires_coi = yes and COI disabled, chat-only
    subscriptions get no pushes; the others still do."""

    @classmethod
    def extra_settings(cls):
        return dict(PushCase.extra_settings(), webpush_chat_requires_coi="yes")

    def test_chat_subscriptions_dropped_while_coi_disabled(self):
        user = "cr1"
        c = self.imap(user)
        self.subscribe(c, user, "cr1-chat", msgtype="chat")
        self.subscribe(c, user, "cr1-all")
        _, msg = message(subject="chat while disabled", chat=True)
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        self.assertEqual(self.wait_payloads("cr1-all", 1)[0]["subject"], "chat while disabled")
        self.marker(user, ["cr1-all"])
        self.assertEqual(self.push_count("cr1-chat"), 0)
        # enabled again: the chat subscription gets chat pushes
        self.assertTrue(c.setmetadata(C + "/enabled", "yes").ok)
        _, msg = message(subject="chat while enabled", chat=True)
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        self.assertEqual(self.wait_payloads("cr1-chat", 1)[0]["subject"], "chat while enabled")


class ExpiryAtDelivery(PushCase):
    """WP-10: a delivery discards the subscriptions whose validation window
    has passed (they also get no push)."""

    @classmethod
    def extra_settings(cls):
        return dict(PushCase.extra_settings(), webpush_validation_timeout="1s")

    def test_delivery_discards_expired_subscription(self):
        user = "ex1"
        c = self.imap(user)
        self.subscribe(c, user, "ex1-late", validate=False)
        attrs = os.path.join(self.dc.home(user), "dovecot-attributes")
        with open(attrs) as f:
            self.assertIn("ex1-late-subscription", f.read())
        time.sleep(2.2)
        _, msg = message(subject="after the window")
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        with open(attrs) as f:
            self.assertNotIn("ex1-late-subscription", f.read())
        self.assertEqual(self.push_count("ex1-late"), 0)
        self.assertIsNone(c.getmeta(sub_entry("ex1-late")))


class ValidationNotRequired(PushCase):
    """webpush_require_validation = no: subscriptions still waiting for
    their validation get pushes for new mail too."""

    @classmethod
    def extra_settings(cls):
        return dict(PushCase.extra_settings(), webpush_require_validation="no")

    def test_unvalidated_subscription_gets_pushes(self):
        user = "nv1"
        c = self.imap(user)
        self.subscribe(c, user, "nv1-unval", validate=False)
        _, msg = message(subject="no validation needed")
        self.assertEqual(self.dc.lmtp_deliver(user, msg)[0], 250)
        self.assertEqual(self.wait_payloads("nv1-unval", 1)[0]["subject"],
                         "no validation needed")
