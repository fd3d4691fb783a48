"""A slow or dead push service does not hold up deliveries (issue 4):
the LMTP reply to a message and the next delivery do not wait for push
requests in flight, and dovecot-lda waits at most webpush_exit_wait for
them. Proven without timing: the receiver still holds the push without
an answer when the delivery has already been acknowledged."""

import smtplib

from coitest import Answer, message

from test_webpush_push import PushCase, sub_entry


class DeliveryIsolation(PushCase):
    @classmethod
    def extra_settings(cls):
        settings = PushCase.extra_settings()
        settings.update({"webpush_exit_wait": "1s", "webpush_request_timeout": "10min",
                         "webpush_max_retry_time": "10min"})
        return settings

    def test_deliveries_do_not_wait_for_a_never_answering_endpoint(self):
        self.dc.expect_log(r"push-coi")
        user = "iso1"
        c = self.imap(user)
        self.subscribe(c, user, "iso1-dead")
        self.rx.answer("iso1-dead", *[Answer(hang=True)] * 10)

        _, first = message(subject="first, its push hangs")
        self.assertEqual(self.dc.lmtp_deliver(user, first)[0], 250)
        req = self.rx.wait_requests("iso1-dead", 2)[1]
        self.assertTrue(req.answer.hang)
        self.assertGreaterEqual(self.rx.hanging, 1)

        # the next LMTP delivery is answered while that push still hangs
        _, second = message(subject="second, while the first push hangs", chat=True)
        self.assertEqual(self.dc.lmtp_deliver(user, second)[0], 250)
        self.assertGreaterEqual(self.rx.hanging, 1)

        # dovecot-lda ends after webpush_exit_wait with its push still held
        _, third = message(subject="third, by dovecot-lda")
        res = self.dc.lda_deliver(user, third)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.rx.wait_requests("iso1-dead", 4)
        self.assertGreaterEqual(self.rx.hanging, 1)

        # all three delivered (COI is not enabled for this user), and a
        # push service that does not answer is no reason to drop the
        # subscription
        self.assertEqual(c.status("INBOX")["MESSAGES"], 3)
        self.assertIsNotNone(c.getmeta(sub_entry("iso1-dead")))


class QueueLimit(PushCase):
    """A push service that accepts connections and never answers keeps
    every push to it; webpush_queue_max bounds how many one process keeps,
    so the delivering process cannot run out of memory (it did: the P3
    benchmark's LMTP process hit vsz_limit and died mid-delivery)."""

    @classmethod
    def extra_settings(cls):
        settings = PushCase.extra_settings()
        settings.update({"webpush_queue_max": "4", "webpush_request_timeout": "10min",
                         "webpush_max_retry_time": "10min", "webpush_exit_wait": "1s"})
        return settings

    def test_pushes_beyond_the_queue_limit_are_dropped_not_the_mail(self):
        self.dc.expect_log(r"Warning: .*push-coi.*Dropping new pushes: this process already "
                           r"keeps 4 \(webpush_queue_max\)")
        user = "queue1"
        c = self.imap(user)
        self.subscribe(c, user, "queue1-dead")
        self.rx.answer("queue1-dead", *[Answer(hang=True)] * 20)
        # one LMTP session: one process keeps all of its pushes
        with smtplib.LMTP("127.0.0.1", self.dc.lmtp_port, timeout=30) as lmtp:
            lmtp.ehlo("test")
            for i in range(12):
                _, msg = message(subject="queued %d" % i)
                self.assertEqual(lmtp.sendmail("sender@example.org", [user + "@example.com"],
                                               msg.encode()), {})
        self.dc.wait_log(r"Dropping new pushes: this process already keeps 4 "
                         r"\(webpush_queue_max\), .*; 1 dropped since the last warning")
        # the validation push was answered; of the twelve, four were sent
        # (and hang), the rest dropped
        self.rx.wait_requests("queue1-dead", 5)
        self.assertEqual(len(self.rx.requests("queue1-dead")), 5)
        self.assertEqual(c.status("INBOX")["MESSAGES"], 12)
