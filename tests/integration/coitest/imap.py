"""A small, strict IMAP client for the tests.

imaplib hides the exact response texts and knows nothing of METADATA, so
the tests use this one: every command returns the tagged status, its text
and the parsed untagged responses (atoms, quoted strings, literals, NIL and
parenthesized lists), so that tests can assert exact values and error
texts.
"""

import re
import select
import socket


class Literal:
    """A command argument sent as a non-synchronizing literal {n+}."""

    def __init__(self, data):
        self.data = data.encode() if isinstance(data, str) else data


class Atom(str):
    """An unquoted atom in a response (NIL is None, not an Atom)."""


def quote(s):
    """IMAP quoted string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Response:
    def __init__(self, tag, status, text, untagged):
        self.tag = tag
        self.status = status
        self.text = text
        self.untagged = untagged  # list of token lists, '*' stripped

    @property
    def ok(self):
        return self.status == "OK"

    def __repr__(self):
        return "<%s %s %r untagged=%r>" % (self.tag, self.status, self.text, self.untagged)

    def find(self, name):
        """Untagged responses whose first (or, after a number, second)
        token is name, case-insensitively."""
        out = []
        for tokens in self.untagged:
            if not tokens:
                continue
            if isinstance(tokens[0], str) and tokens[0].upper() == name.upper():
                out.append(tokens)
            elif (len(tokens) > 1 and isinstance(tokens[1], str)
                  and tokens[1].upper() == name.upper()):
                out.append(tokens)
        return out


class ImapError(Exception):
    pass


def parse_tokens(data):
    """Parses one response line (with its literals inlined as
    {n}\\r\\n<bytes>) into a list of tokens: str for atoms and strings,
    bytes for literals, None for NIL, list for parenthesized lists."""
    pos = 0
    stack = [[]]
    n = len(data)
    while pos < n:
        c = data[pos:pos + 1]
        if c in (b" ", b"\r", b"\n"):
            pos += 1
        elif c == b"(":
            stack.append([])
            pos += 1
        elif c == b")":
            lst = stack.pop()
            stack[-1].append(lst)
            pos += 1
        elif c == b'"':
            pos += 1
            out = bytearray()
            while pos < n and data[pos:pos + 1] != b'"':
                if data[pos:pos + 1] == b"\\":
                    pos += 1
                out += data[pos:pos + 1]
                pos += 1
            pos += 1
            stack[-1].append(out.decode("utf-8", errors="surrogateescape"))
        elif c == b"{":
            m = re.match(rb"\{(\d+)\+?\}\r\n", data[pos:])
            if not m:
                raise ImapError("bad literal at %r" % data[pos:pos + 20])
            size = int(m.group(1))
            start = pos + m.end()
            stack[-1].append(bytes(data[start:start + size]))
            pos = start + size
        else:
            # atom; a [...] section inside is part of it, spaces and
            # parentheses included (BODY[HEADER.FIELDS (A B)], [UIDVALIDITY 1])
            m = re.match(rb'(?:[^ ()"\r\n{\[]+|\[[^\]]*\])+', data[pos:])
            if not m:
                raise ImapError("cannot parse %r" % data[pos:])
            word = m.group(0).decode("utf-8", errors="surrogateescape")
            pos += m.end()
            stack[-1].append(None if word.upper() == "NIL" else Atom(word))
    while len(stack) > 1:
        lst = stack.pop()
        stack[-1].append(lst)
    return stack[0]


class ImapClient:
    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.tagnum = 0
        self.greeting = self._read_line().decode(errors="replace")
        if not self.greeting.startswith("* OK"):
            raise ImapError("bad greeting: " + self.greeting)

    # --- low level -------------------------------------------------------

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ImapError("connection closed by server")
        self.buf += chunk

    def _read_line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_bytes(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response_line(self):
        """One response with literals inlined, as raw bytes."""
        out = bytearray()
        while True:
            line = self._read_line()
            out += line
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                return bytes(out)
            out += b"\r\n" + self._read_bytes(int(m.group(1)))

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _encode_args(self, args):
        out = bytearray()
        for a in args:
            if out:
                out += b" "
            if isinstance(a, Literal):
                out += b"{%d+}\r\n" % len(a.data) + a.data
            elif isinstance(a, bytes):
                out += a
            else:
                out += str(a).encode()
        return bytes(out)

    def command(self, *args):
        """Sends a command; args are joined by spaces (str/bytes as is,
        Literal as {n+}). Returns a Response, whatever the status."""
        self.tagnum += 1
        tag = "t%d" % self.tagnum
        self.send_raw(tag.encode() + b" " + self._encode_args(args) + b"\r\n")
        return self.read_until_tagged(tag)

    def read_until_tagged(self, tag):
        untagged = []
        while True:
            raw = self.read_response_line()
            if raw.startswith(b"* "):
                untagged.append(parse_tokens(raw[2:]))
            elif raw.startswith(b"+"):
                continue
            elif raw.startswith(tag.encode() + b" "):
                rest = raw[len(tag) + 1:].decode("utf-8", errors="replace")
                status, _, text = rest.partition(" ")
                return Response(tag, status.upper(), text, untagged)

    def ok(self, *args):
        """Like command(), but raises unless the answer is OK."""
        res = self.command(*args)
        if not res.ok:
            raise ImapError("%s -> %s %s" % (" ".join(str(a) for a in args
                                                      if not isinstance(a, Literal)),
                                            res.status, res.text))
        return res

    # --- commands --------------------------------------------------------

    def login(self, user, password):
        return self.ok("LOGIN", quote(user), quote(password))

    def capabilities(self):
        res = self.ok("CAPABILITY")
        caps = res.find("CAPABILITY")[0][1:]
        return set(c.upper() for c in caps)

    def select(self, mailbox, readonly=False):
        res = self.command("EXAMINE" if readonly else "SELECT", quote(mailbox))
        if not res.ok:
            raise ImapError("SELECT %s: %s %s" % (mailbox, res.status, res.text))
        info = {}
        for tokens in res.untagged:
            if len(tokens) >= 2 and isinstance(tokens[1], str) and tokens[1].upper() == "EXISTS":
                info["exists"] = int(tokens[0])
            text = " ".join(str(t) for t in tokens if isinstance(t, str))
            m = re.search(r"\[UIDVALIDITY (\d+)\]", text)
            if m:
                info["uidvalidity"] = int(m.group(1))
        return info

    def status(self, mailbox, items="MESSAGES UIDVALIDITY UIDNEXT UNSEEN"):
        res = self.command("STATUS", quote(mailbox), "(%s)" % items)
        if not res.ok:
            return None
        tokens = res.find("STATUS")[0]
        lst = tokens[2]
        return {lst[i].upper(): int(lst[i + 1]) for i in range(0, len(lst), 2)}

    def list_mailboxes(self, ref="", pattern="*"):
        """Returns {name: set(flags)}."""
        res = self.ok("LIST", quote(ref), quote(pattern))
        out = {}
        for tokens in res.find("LIST"):
            flags = set(f.lower() for f in tokens[1])
            name = tokens[3]
            if isinstance(name, bytes):
                name = name.decode()
            out[name] = flags
        return out

    def subscribed(self):
        res = self.ok("LSUB", '""', '"*"')
        out = set()
        for tokens in res.find("LSUB"):
            name = tokens[3]
            out.add(name.decode() if isinstance(name, bytes) else name)
        return out

    def getmetadata(self, entries, depth=None, mailbox="", maxsize=None):
        """Returns (Response, {entry: value}); value is str (or bytes for
        a literal that is not UTF-8) or None for NIL."""
        opts = []
        if depth is not None:
            opts.append("DEPTH %s" % depth)
        if maxsize is not None:
            opts.append("MAXSIZE %d" % maxsize)
        if isinstance(entries, str):
            entries = [entries]
        args = ["GETMETADATA"]
        if opts:
            args.append("(%s)" % " ".join(opts))
        args.append(quote(mailbox))
        args.append("(%s)" % " ".join(quote(e) for e in entries))
        res = self.command(*args)
        values = {}
        for tokens in res.find("METADATA"):
            lst = tokens[2] if len(tokens) > 2 else []
            for i in range(0, len(lst) - 1, 2):
                val = lst[i + 1]
                if isinstance(val, bytes):
                    try:
                        val = val.decode("utf-8")
                    except UnicodeDecodeError:
                        pass
                values[str(lst[i])] = val
        return res, values

    def getmeta(self, entry, mailbox=""):
        """The value of one entry (None when unset); raises on NO."""
        res, values = self.getmetadata(entry, mailbox=mailbox)
        if not res.ok:
            raise ImapError("GETMETADATA %s: %s %s" % (entry, res.status, res.text))
        return values.get(entry.lower(), values.get(entry))

    def setmetadata(self, entry, value, mailbox=""):
        """SETMETADATA of one entry; value None is NIL. Returns Response."""
        if value is None:
            val = "NIL"
        else:
            val = Literal(value)
        return self.command("SETMETADATA", quote(mailbox),
                            b"(" + self._encode_args([quote(entry), val]) + b")")

    def append(self, mailbox, message, flags=""):
        return self.command("APPEND", quote(mailbox), "(%s)" % flags, Literal(message))

    def uid_search(self, criteria="ALL"):
        res = self.ok("UID SEARCH", criteria)
        out = []
        for tokens in res.find("SEARCH"):
            out += [int(t) for t in tokens[1:]]
        return out

    def fetch_flags(self, uid):
        """Flags (a set) of the message with this UID in the selected mailbox."""
        res = self.ok("UID FETCH", str(uid), "(FLAGS)")
        for tokens in res.find("FETCH"):
            lst = tokens[2]
            for i in range(0, len(lst) - 1, 2):
                if str(lst[i]).upper() == "FLAGS":
                    return set(lst[i + 1])
        return None

    def messages(self, mailbox):
        """[(uid, flags, header Message-ID)] of every message in mailbox."""
        self.select(mailbox, readonly=True)
        res = self.ok("UID FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)])")
        out = []
        for tokens in res.find("FETCH"):
            lst = tokens[2]
            item = {}
            for i in range(0, len(lst) - 1, 2):
                item[str(lst[i]).upper()] = lst[i + 1]
            hdr = b""
            for k, v in item.items():
                if k.startswith("BODY["):
                    hdr = v if isinstance(v, bytes) else str(v).encode()
            m = re.search(rb"(?im)^message-id:\s*(\S+)", hdr)
            out.append((int(item["UID"]), set(item.get("FLAGS", [])),
                        m.group(1).decode() if m else None))
        return out

    # --- IDLE ------------------------------------------------------------

    def idle_start(self):
        self.tagnum += 1
        self.idle_tag = "t%d" % self.tagnum
        self.send_raw(self.idle_tag + " IDLE\r\n")
        line = self._read_line()
        if not line.startswith(b"+"):
            raise ImapError("IDLE refused: %r" % line)

    def idle_collect(self, timeout):
        """Untagged responses (raw bytes) that arrive within timeout seconds."""
        import time
        out = []
        deadline = time.time() + timeout
        while True:
            while b"\r\n" in self.buf:
                out.append(self._read_line())
            left = deadline - time.time()
            if left <= 0:
                return out
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                self._fill()

    def idle_wait(self, regex, timeout=10):
        """Untagged responses (raw bytes) up to and including the first one
        that matches regex (bytes); raises when none does within timeout."""
        import time
        rx = re.compile(regex)
        out = []
        deadline = time.time() + timeout
        while True:
            while b"\r\n" in self.buf:
                line = self._read_line()
                out.append(line)
                if rx.search(line):
                    return out
            left = deadline - time.time()
            if left <= 0:
                raise ImapError("no response matching %r in %ss: %r" % (regex, timeout, out))
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                self._fill()

    def idle_done(self):
        self.send_raw("DONE\r\n")
        return self.read_until_tagged(self.idle_tag)

    def logout(self):
        try:
            self.command("LOGOUT")
        except (ImapError, OSError):
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
