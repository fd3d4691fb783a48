"""unittest base class: one private Dovecot per test class."""

import email.utils
import itertools
import unittest

from .dovecot import Dovecot

_counter = itertools.count(1)


def message(subject="Hello", body="Hi there.\n", chat=False, msgid=None,
            references=None, headers=(), from_addr="Sender <sender@example.org>",
            to_addr="alice@example.com"):
    """A small RFC 5322 message (str). chat=True adds Chat-Version: 1.0.
    Returns (msgid, text)."""
    if msgid is None:
        msgid = "<test.%d.%s@example.org>" % (next(_counter), subject.replace(" ", "-")[:20])
    lines = [
        "From: %s" % from_addr,
        "To: %s" % to_addr,
        "Subject: %s" % subject,
        "Date: %s" % email.utils.formatdate(localtime=False),
        "Message-ID: %s" % msgid,
    ]
    if references:
        lines.append("References: %s" % references)
    if chat:
        lines.append("Chat-Version: 1.0")
    lines += list(headers)
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body]
    return msgid, "\r\n".join(lines).replace("\n", "\r\n").replace("\r\r\n", "\r\n")


class DovecotTestCase(unittest.TestCase):
    """Starts a Dovecot built from dovecot_args before the class's tests
    and stops it after. After each test, the Dovecot log since the test
    started must hold no Panic, Fatal, Error or Warning line that the test
    did not allow with self.dc.expect_log(regex)."""

    dovecot_args = {}
    check_warnings = True

    @classmethod
    def setUpClass(cls):
        cls.dc = Dovecot(**cls.dovecot_args)
        try:
            cls.dc.start()
        except Exception:
            cls.dc.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dc.cleanup()

    def setUp(self):
        self.dc.mark_log()
        self._clients = []

    def imap(self, user="alice", login=True):
        client = self.dc.imap(user, login)
        self._clients.append(client)
        return client

    def tearDown(self):
        for client in self._clients:
            client.logout()
        # The log check runs even when the test failed, so a crash shows.
        self.dc.check_log(warnings=self.check_warnings)
