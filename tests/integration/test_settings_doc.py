"""Settings cannot drift from their documentation: every setting name the
C sources read ("coi_..." and "webpush_..." string literals that are not
event names (the *_EVENT_* constants) or function names) has a row in doc/settings.md and a line in
dovecot-coi.conf.example, and every documented setting is read by the
code."""

import os
import re
import unittest

from coitest.dovecot import SRC_DIR

NAME = re.compile(r'"((?:coi|webpush)_[a-z0-9_]+)"')


def read(*parts):
    with open(os.path.join(SRC_DIR, *parts)) as f:
        return f.read()


def source_texts():
    for root, _dirs, files in os.walk(os.path.join(SRC_DIR, "src")):
        for name in files:
            if name.endswith((".c", ".h")):
                with open(os.path.join(root, name)) as f:
                    yield f.read()


class SettingsDocumented(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sources = list(source_texts())
        everything = "\n".join(sources)
        # event names: the *_EVENT_* constants of coi-events.h and push-coi-events.h
        events = set(re.findall(r'#define \w+_EVENT_\w+ "([a-z0-9_]+)"', everything))
        literals = set()
        for text in sources:
            literals |= set(NAME.findall(text))
        cls.read_settings = {n for n in literals
                             if n not in events and not re.search(r"\b%s\(" % n, everything)}
        cls.documented = set(re.findall(r"^\| `((?:coi|webpush)_[a-z0-9_]+)` \|",
                                        read("doc", "settings.md"), re.M))
        cls.example = read("dovecot-coi.conf.example")

    def test_code_reads_some_settings(self):
        self.assertIn("coi_mailbox_root", self.read_settings)
        self.assertIn("webpush_vapid_key", self.read_settings)

    def test_every_setting_read_is_documented(self):
        self.assertEqual(sorted(self.read_settings - self.documented), [],
                         "settings read by the code without a row in doc/settings.md")
        missing = [n for n in sorted(self.read_settings)
                   if not re.search(r"^\s*#?\s*%s\s*=" % n, self.example, re.M)]
        self.assertEqual(missing, [], "settings missing from dovecot-coi.conf.example")

    def test_every_documented_setting_is_read(self):
        self.assertEqual(sorted(self.documented - self.read_settings), [],
                         "settings in doc/settings.md that no code reads")
