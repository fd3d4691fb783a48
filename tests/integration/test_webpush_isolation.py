"""A slow or dead push service does not hold up deliveries (issue 4):
the LMTP reply to a message and the next delivery do not wait for push
requests in flight, and dovecot-lda waits at most webpush_exit_wait for
them. Proven without timing: the receiver still holds the push without
an answer when the delivery has already been acknowledged."""

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
