"""Integration test harness of dovecot-coi: a real Dovecot per test class."""

from .dovecot import Dovecot, LogError, build_dir, flow_records  # noqa: F401
from .imap import ImapClient, Literal, Response, quote  # noqa: F401
from .case import DovecotTestCase, message  # noqa: F401
from .pushreceiver import Answer, PushReceiver, Subscriber, VapidKey  # noqa: F401
