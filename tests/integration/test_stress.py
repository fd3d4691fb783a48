"""A bounded stress test: parallel LMTP connections and dovecot-lda
deliver chat and plain mail for three users while IMAP sessions toggle
enabled and message-filter, set \\Seen on INBOX messages (which moves chat
messages in the seen mode), and rename Chats under Trash and create it
again. At the end every message is accounted for exactly once, and the
Dovecot log has no Panic, Fatal or unexpected Error.

Bounded: a fixed number of messages, a deadline for every thread."""

import random
import re
import threading
import time

from coitest import DovecotTestCase, message

from test_faults import all_messages

CHATS = "COI/Chats"
COI = "/private/vendor/vendor.dovecot/coi/config"
USERS = ("s1", "s2", "s3")
LMTP_THREADS = 4
PER_THREAD = 30
LDA_MESSAGES = 12
DEADLINE = 240


class Stress(DovecotTestCase):
    dovecot_args = dict(mail_plugins="coi", imap_plugins="imap_coi")

    def test_parallel_deliveries_with_config_and_folder_churn(self):
        # Dovecot's maildir code logs errors when a folder is renamed while
        # it saves into it; COI falls back to INBOX (see test_faults).
        for rx in (r"Error: .*/\.COI\.Chats/", r"Error: .*Mailbox COI/Chats: ",
                   r"Warning: Our dotlock file .*\.COI\.Chats/.* was deleted",
                   r"Warning: .*coi: .*COI/Chats.*INBOX",
                   r"Warning: .*coi: .*(seen|move|moving)"):
            self.dc.expect_log(rx)
        for user in USERS:
            c = self.imap(user)
            c.ok("CREATE", '"Trash"')
            c.setmetadata(COI + "/enabled", "yes")
            c.setmetadata(COI + "/message-filter", "active")
        sent = {u: [] for u in USERS}
        errors = []
        lock = threading.Lock()
        stop = threading.Event()
        deadline = time.time() + DEADLINE

        def record(user, msgid):
            with lock:
                sent[user].append(msgid)

        def lmtp_worker(n):
            rnd = random.Random(n)
            for i in range(PER_THREAD):
                if time.time() > deadline:
                    errors.append("lmtp worker %d hit the deadline" % n)
                    return
                user = rnd.choice(USERS)
                msgid, msg = message(subject="stress %d-%d" % (n, i), chat=rnd.random() < 0.6)
                record(user, msgid)
                try:
                    code, text = self.dc.lmtp_deliver(user, msg)
                except Exception as e:  # noqa: BLE001 - reported below
                    code, text = 0, repr(e)
                if code != 250:
                    errors.append("lmtp %s %s: %s %s" % (user, msgid, code, text))

        def lda_worker():
            rnd = random.Random(99)
            for i in range(LDA_MESSAGES):
                user = rnd.choice(USERS)
                msgid, msg = message(subject="stress lda %d" % i, chat=rnd.random() < 0.6)
                record(user, msgid)
                res = self.dc.lda_deliver(user, msg)
                if res.returncode != 0:
                    errors.append("lda %s %s: %d %r" % (user, msgid, res.returncode, res.stderr))

        def imap_worker(user):
            rnd = random.Random(user)
            c = self.dc.imap(user)
            c.sock.settimeout(60)
            n = 0
            try:
                while not stop.is_set() and time.time() < deadline:
                    n += 1
                    action = rnd.randrange(5)
                    if action == 0:
                        c.setmetadata(COI + "/enabled", rnd.choice(["yes", None]))
                    elif action == 1:
                        c.setmetadata(COI + "/message-filter", rnd.choice(["none", "active", "seen"]))
                    elif action == 2:
                        c.select("INBOX")
                        c.command("STORE", "1:*", "+FLAGS.SILENT", "(\\Seen)")
                        c.command("CLOSE")
                    elif action == 3 and c.status(CHATS) is not None:
                        c.command("RENAME", '"%s"' % CHATS, '"Trash/Chats-%s-%d"' % (user, n))
                    else:
                        c.command("CREATE", '"%s"' % CHATS)
                    stop.wait(0.05)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append("imap %s: %r" % (user, e))
            finally:
                c.logout()

        workers = [threading.Thread(target=lmtp_worker, args=(n,)) for n in range(LMTP_THREADS)]
        workers.append(threading.Thread(target=lda_worker))
        churners = [threading.Thread(target=imap_worker, args=(u,)) for u in USERS]
        for t in workers + churners:
            t.start()
        for t in workers:
            t.join(DEADLINE + 30)
        stop.set()
        for t in churners:
            t.join(60)
        self.assertEqual(errors, [])

        failed_saves = set(re.findall(r"coi: Saving the chat message (<[^>]*>) into %s failed"
                                      % re.escape(CHATS), self.dc.read_log()))
        total = 0
        for user in USERS:
            found = all_messages(self.dc, user)
            for msgid in sent[user]:
                boxes = found.get(msgid, [])
                self.assertGreaterEqual(len(boxes), 1, "%s of %s is lost" % (msgid, user))
                if len(boxes) > 1:
                    # only after a save maildir reported as failed (test_faults)
                    self.assertIn(msgid, failed_saves, "%s in %s" % (msgid, boxes))
                    self.assertEqual(len(boxes), 2)
            total += len(sent[user])
        self.assertEqual(total, LMTP_THREADS * PER_THREAD + LDA_MESSAGES)
