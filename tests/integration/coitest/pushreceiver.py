"""A real HTTPS Web Push receiver (push service) for the tests.

It listens on 127.0.0.1 (a port the kernel chooses) with TLS: a test CA and
a server certificate (for localhost, push.test, 127.0.0.1 and ::1) are made
by the test with python3-cryptography; `ca_file` is the CA to trust.

For every POST it records the headers, verifies the VAPID JWT of the
Authorization header (RFC 8292: ES256 signature with the k= key, aud = its
own origin, exp in the future and at most 24 h ahead, sub present) and
decrypts the aes128gcm body (RFC 8291) with the subscriber's private key and
auth secret. It counts TLS handshakes (each new TLS connection is one), and
answers per endpoint path as the test scripted it: any status (201, 400,
404, 410, 413, 429 with Retry-After, 500...), after a delay, or never
(the connection is accepted, the request read, and no answer sent).

Also here: RFC 8291 encryption and decryption, RFC 8188 decryption, VAPID
signing and verification, and a subscriber (key pair, auth secret and the
subscription JSON of the IMAP WebPush extension).

Thread-safe: the server runs in threads; tests read its records through
methods that hold a lock. Use one receiver per test class:
start() in setUpClass, stop() in tearDownClass (or as a context manager).
"""

import base64
import datetime
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import shutil
import socket
import socketserver
import ssl
import struct
import tempfile
import threading
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID


# --- base64url ------------------------------------------------------------

def b64u_encode(data):
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text):
    """Decodes base64url or base64, padded or not."""
    if isinstance(text, bytes):
        text = text.decode("ascii")
    text = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- RFC 8188 / RFC 8291 --------------------------------------------------

class DecryptError(Exception):
    pass


def _hmac_sha256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def _public_bytes(public_key):
    return public_key.public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.UncompressedPoint)


def _load_public(raw):
    if len(raw) != 65 or raw[0] != 4:
        raise DecryptError("public key is not a 65-octet uncompressed point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as e:
        raise DecryptError("public key is not on P-256: %s" % e)


def _load_private(raw):
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def ece_keys(ikm, salt):
    """RFC 8188 section 2.2/2.3: (CEK, NONCE) from the input keying material."""
    prk = _hmac_sha256(salt, ikm)
    cek = _hmac_sha256(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac_sha256(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    return cek, nonce


def webpush_ikm(ecdh_secret, auth, ua_public, as_public):
    """RFC 8291 section 3.3: the IKM for RFC 8188."""
    prk_key = _hmac_sha256(auth, ecdh_secret)
    return _hmac_sha256(prk_key, b"WebPush: info\x00" + ua_public + as_public + b"\x01")


def parse_ece_header(body):
    """Returns (salt, rs, keyid, records) of an aes128gcm body."""
    if len(body) < 21:
        raise DecryptError("body shorter than the aes128gcm header (%d octets)" % len(body))
    salt = body[:16]
    rs = struct.unpack(">I", body[16:20])[0]
    idlen = body[20]
    if len(body) < 21 + idlen:
        raise DecryptError("body shorter than its keyid")
    if rs < 18:
        raise DecryptError("record size %d below 18" % rs)
    return salt, rs, body[21:21 + idlen], body[21 + idlen:]


def _decrypt_records(cek, nonce, rs, data):
    """Decrypts the records of data; returns the plaintext without padding."""
    if not data:
        raise DecryptError("no record")
    out = b""
    seq = 0
    pos = 0
    while pos < len(data):
        record = data[pos:pos + rs]
        pos += len(record)
        last = pos >= len(data)
        iv = (int.from_bytes(nonce, "big") ^ seq).to_bytes(12, "big")
        try:
            plain = AESGCM(cek).decrypt(iv, record, None)
        except InvalidTag:
            raise DecryptError("record %d: authentication tag mismatch" % seq)
        stripped = plain.rstrip(b"\x00")
        if not stripped:
            raise DecryptError("record %d has no delimiter" % seq)
        delim = stripped[-1]
        if delim != (2 if last else 1):
            raise DecryptError("record %d has delimiter %d" % (seq, delim))
        out += stripped[:-1]
        seq += 1
    return out


def ece_decrypt(body, ikm):
    """RFC 8188 aes128gcm decryption with a given IKM (empty keyid allowed)."""
    salt, rs, _, records = parse_ece_header(body)
    cek, nonce = ece_keys(ikm, salt)
    return _decrypt_records(cek, nonce, rs, records)


def decrypt(body, ua_private, auth):
    """RFC 8291 decryption of a Web Push body.

    ua_private: the subscriber's private key (cryptography object or the
    32-octet scalar); auth: the 16-octet auth secret. Web Push allows only one
    record, so the body must not be longer than rs. Returns the plaintext."""
    if isinstance(ua_private, bytes):
        ua_private = _load_private(ua_private)
    salt, rs, keyid, records = parse_ece_header(body)
    if len(keyid) != 65:
        raise DecryptError("keyid is %d octets, not the 65-octet sender key" % len(keyid))
    if len(records) > rs:
        raise DecryptError("more than one record (rs %d, %d octets)" % (rs, len(records)))
    as_public = _load_public(keyid)
    ecdh_secret = ua_private.exchange(ec.ECDH(), as_public)
    ikm = webpush_ikm(ecdh_secret, auth, _public_bytes(ua_private.public_key()), keyid)
    cek, nonce = ece_keys(ikm, salt)
    return _decrypt_records(cek, nonce, rs, records)


def encrypt(plaintext, ua_public, auth, salt=None, as_private=None, rs=4096, padding=0):
    """RFC 8291 encryption (one record). ua_public: the subscriber's
    65-octet public key; salt and as_private (sender private key, object or
    32-octet scalar) are fresh unless given (for known-answer tests)."""
    if salt is None:
        salt = os.urandom(16)
    if as_private is None:
        as_private = ec.generate_private_key(ec.SECP256R1())
    elif isinstance(as_private, bytes):
        as_private = _load_private(as_private)
    as_public = _public_bytes(as_private.public_key())
    ecdh_secret = as_private.exchange(ec.ECDH(), _load_public(ua_public))
    ikm = webpush_ikm(ecdh_secret, auth, ua_public, as_public)
    cek, nonce = ece_keys(ikm, salt)
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02" + b"\x00" * padding, None)
    return salt + struct.pack(">I", rs) + bytes([len(as_public)]) + as_public + record


class Subscriber:
    """A Web Push subscriber: P-256 key pair and 16-octet auth secret."""

    def __init__(self, private_key=None, auth=None):
        self.private_key = private_key or ec.generate_private_key(ec.SECP256R1())
        self.auth = auth if auth is not None else os.urandom(16)
        self.public = _public_bytes(self.private_key.public_key())

    @property
    def p256dh(self):
        return b64u_encode(self.public)

    @property
    def auth_b64u(self):
        return b64u_encode(self.auth)

    def subscription(self, endpoint, client="coitest", device="test device", msgtype="all"):
        """The subscription value of the IMAP WebPush extension (a dict)."""
        return {
            "client": client,
            "device": device,
            "msgtype": msgtype,
            "resource": {
                "endpoint": endpoint,
                "keys": {"p256dh": self.p256dh, "auth": self.auth_b64u},
            },
        }

    def subscription_json(self, endpoint, **kw):
        return json.dumps(self.subscription(endpoint, **kw))

    def encrypt(self, plaintext, **kw):
        return encrypt(plaintext, self.public, self.auth, **kw)

    def decrypt(self, body):
        return decrypt(body, self.private_key, self.auth)


# --- RFC 8292 VAPID -------------------------------------------------------

class VapidError(Exception):
    pass


class VapidKey:
    """A VAPID signing key (P-256)."""

    def __init__(self, private_key=None):
        self.private_key = private_key or ec.generate_private_key(ec.SECP256R1())
        self.public = _public_bytes(self.private_key.public_key())

    def pem(self):
        """The private key as PEM (PKCS#8)."""
        return self.private_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())

    def public_pem(self):
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def jwt(self, aud, sub="mailto:postmaster@example.com", exp=None, claims=None):
        if exp is None:
            exp = int(time.time()) + 12 * 3600
        body = {"aud": aud, "exp": exp, "sub": sub}
        if claims is not None:
            body = claims
        signing_input = (b64u_encode(b'{"typ":"JWT","alg":"ES256"}') + "." +
                         b64u_encode(json.dumps(body, separators=(",", ":")).encode()))
        der = self.private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = utils.decode_dss_signature(der)
        return signing_input + "." + b64u_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def authorization(self, aud, **kw):
        """The value of the Authorization header."""
        return "vapid t=%s, k=%s" % (self.jwt(aud, **kw), b64u_encode(self.public))


def parse_vapid_authorization(value):
    """Returns (jwt, public key bytes) of 'vapid t=..., k=...'."""
    if value is None:
        raise VapidError("no Authorization header")
    scheme, _, params = value.strip().partition(" ")
    if scheme.lower() != "vapid":
        raise VapidError("Authorization scheme is %r, not vapid" % scheme)
    found = {}
    for part in params.split(","):
        name, eq, val = part.strip().partition("=")
        if not eq:
            raise VapidError("bad Authorization parameter %r" % part)
        found[name.strip().lower()] = val.strip()
    if "t" not in found or "k" not in found:
        raise VapidError("Authorization lacks t= or k=")
    try:
        key = b64u_decode(found["k"])
    except ValueError:
        raise VapidError("k= is not base64url")
    return found["t"], key


def verify_jwt(token, public_raw):
    """Verifies an ES256 JWT (64-octet R||S signature); returns its claims."""
    parts = token.split(".")
    if len(parts) != 3:
        raise VapidError("JWT does not have three parts")
    try:
        header = json.loads(b64u_decode(parts[0]))
        claims = json.loads(b64u_decode(parts[1]))
        sig = b64u_decode(parts[2])
    except ValueError as e:
        raise VapidError("JWT is not base64url JSON: %s" % e)
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        raise VapidError("JWT alg is not ES256: %r" % (header,))
    if header.get("typ", "JWT") != "JWT":
        raise VapidError("JWT typ is %r" % header.get("typ"))
    if len(sig) != 64:
        raise VapidError("signature is %d octets, not the 64-octet R||S form" % len(sig))
    try:
        public = _load_public(public_raw)
    except DecryptError as e:
        raise VapidError("k=: %s" % e)
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                     int.from_bytes(sig[32:], "big"))
    try:
        public.verify(der, (parts[0] + "." + parts[1]).encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise VapidError("JWT signature does not verify with the k= key")
    if not isinstance(claims, dict):
        raise VapidError("JWT claims are not an object")
    return claims


def verify_vapid(value, origin, now=None):
    """Verifies the Authorization header value against origin (the push
    service's own origin). Returns the claims; raises VapidError."""
    token, key = parse_vapid_authorization(value)
    claims = verify_jwt(token, key)
    if now is None:
        now = time.time()
    if claims.get("aud") != origin:
        raise VapidError("aud is %r, not %r" % (claims.get("aud"), origin))
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise VapidError("exp is not an integer: %r" % (exp,))
    if exp <= now:
        raise VapidError("exp %d is in the past" % exp)
    if exp > now + 24 * 3600 + 60:
        raise VapidError("exp %d is more than 24 hours ahead" % exp)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not (sub.startswith("mailto:") or sub.startswith("https:")):
        raise VapidError("sub is not a mailto: or https: contact: %r" % (sub,))
    return claims


# --- TLS: a test CA and a server certificate ------------------------------

class TestCA:
    """A CA and a server certificate in a temporary directory.
    ca_file, cert_file and key_file are PEM paths."""

    NAMES = ("localhost", "push.test")
    ADDRESSES = ("127.0.0.1", "::1")

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="coitest-ca-")
        os.chmod(self.dir, 0o755)
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "coitest CA")])
        ca_cert = (x509.CertificateBuilder()
                   .subject_name(ca_name).issuer_name(ca_name)
                   .public_key(ca_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(True, False, False, False, False, True, True,
                                                False, False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                                  critical=False)
                   .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.DNSName(n) for n in self.NAMES]
        sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in self.ADDRESSES]
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "push.test")]))
                .issuer_name(ca_name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.ca_file = self._write("ca.pem", ca_cert.public_bytes(serialization.Encoding.PEM))
        self.cert_file = self._write("server.pem", cert.public_bytes(serialization.Encoding.PEM))
        self.key_file = self._write("server.key", key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        os.chmod(self.key_file, 0o600)

    def _write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)
        return path

    def client_context(self):
        """An ssl.SSLContext for clients that trusts this CA."""
        return ssl.create_default_context(cafile=self.ca_file)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the receiver ---------------------------------------------------------

class Answer:
    """How the receiver answers one request: status, extra headers, body,
    a delay before answering (seconds) or hang=True: never answer."""

    def __init__(self, status=201, retry_after=None, body=b"", delay=0.0, hang=False,
                 headers=None):
        self.status = status
        self.retry_after = retry_after
        self.body = body.encode() if isinstance(body, str) else body
        self.delay = delay
        self.hang = hang
        self.headers = dict(headers or {})

    def __repr__(self):
        return "Answer(%d%s%s)" % (self.status, ", hang" if self.hang else "",
                                   ", delay=%s" % self.delay if self.delay else "")


class Request:
    """One received request. headers: dict with lower-case names (the last
    value of a repeated header; all of them in header_list)."""

    def __init__(self, **kw):
        self.path = None
        self.method = None
        self.headers = {}
        self.header_list = []
        self.body = b""
        self.payload = None          # decrypted plaintext (bytes) or None
        self.decrypt_error = None
        self.vapid = None            # JWT claims when valid
        self.vapid_error = None
        self.connection = None       # number of the TLS connection it came on
        self.hanging_before = 0      # requests that were hanging when it arrived
        self.answer = None
        self.__dict__.update(kw)

    def json(self):
        return json.loads(self.payload.decode("utf-8"))

    def __repr__(self):
        return "<Request %s %s answer=%r vapid_error=%r decrypt_error=%r>" % (
            self.method, self.path, self.answer, self.vapid_error, self.decrypt_error)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "coitest-push/1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        self.server.receiver._handle(self)

    def do_GET(self):
        self._send(405, b"only POST\n")

    do_PUT = do_DELETE = do_GET

    def _send(self, status, body, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, receiver, address):
        self.receiver = receiver
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so
        # a client that never finishes it holds up no one else.
        receiver = self.receiver
        request.settimeout(30)
        try:
            conn = receiver._tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            receiver._note_tls_error(e)
            return
        conn.settimeout(None)
        number = receiver._connection_opened(conn)
        try:
            handler = _Handler.__new__(_Handler)
            handler.connection_number = number
            _Handler.__init__(handler, conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            receiver._connection_closed(conn)
            try:
                conn.close()
            except OSError:
                pass


class PushReceiver:
    """The HTTPS push receiver. Typical use:

        rx = PushReceiver().start()
        sub, endpoint = rx.subscriber("alice-phone")
        rx.answer("alice-phone", Answer(500), Answer(201))  # then 201 forever
        ... push ...
        req = rx.wait_requests("alice-phone", 2)[-1]
        req.payload, req.vapid, req.headers["ttl"]
        rx.stop()

    The answers of a path are used in order; the last one repeats. Paths
    without a subscriber get 404. strict_vapid: a request whose VAPID does
    not verify gets 403 with the reason as its body (like real services)."""

    def __init__(self, host="127.0.0.1", strict_vapid=True, ca=None, verify=True):
        self.host = host
        self.strict_vapid = strict_vapid
        # verify=False: no VAPID check and no decryption (benchmarks: a
        # remote push service costs the delivering machine nothing)
        self.verify = verify
        self._own_ca = ca is None
        self.ca = ca or TestCA()
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._subscribers = {}
        self._answers = {}
        self._requests = []
        self._handshakes = 0
        self._tls_errors = []
        self._open = set()
        self._hanging = 0
        self._server = None
        self._thread = None
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(self.ca.cert_file, self.ca.key_file)

    # lifecycle

    def start(self):
        self._server = _Server(self, (self.host, 0))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="pushreceiver", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            conns = list(self._open)
            self._lock.notify_all()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._own_ca:
            self.ca.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # configuration

    @property
    def ca_file(self):
        return self.ca.ca_file

    def origin(self, host=None):
        host = host or self.host
        if ":" in host:
            host = "[%s]" % host
        return "https://%s:%d" % (host, self.port)

    def endpoint(self, name, host=None):
        return "%s/push/%s" % (self.origin(host), name)

    def subscriber(self, name, subscriber=None, host=None):
        """Registers endpoint path /push/<name> for a new (or the given)
        subscriber, answering 201. Returns (subscriber, endpoint URL)."""
        sub = subscriber or Subscriber()
        with self._lock:
            self._subscribers["/push/" + name] = sub
            self._answers.setdefault("/push/" + name, [Answer(201)])
        return sub, self.endpoint(name, host)

    def answer(self, name, *answers):
        """Scripts the answers of /push/<name>: used in order, the last repeats.
        An int stands for Answer(that status)."""
        answers = [a if isinstance(a, Answer) else Answer(a) for a in answers]
        if not answers:
            raise ValueError("no answer")
        with self._lock:
            self._answers["/push/" + name] = answers

    # records

    def requests(self, name=None):
        with self._lock:
            return [r for r in self._requests if name is None or r.path == "/push/" + name]

    def wait_requests(self, name, count, timeout=30):
        """Waits until /push/<name> got at least count requests; returns them."""
        deadline = time.time() + timeout
        with self._lock:
            while True:
                found = [r for r in self._requests if name is None or r.path == "/push/" + name]
                if len(found) >= count:
                    return found
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("%s got %d of %d requests in %ds: %r" %
                                         (name, len(found), count, timeout, self._requests))
                self._lock.wait(left)

    @property
    def handshakes(self):
        """The number of TLS connections accepted (completed handshakes)."""
        with self._lock:
            return self._handshakes

    @property
    def tls_errors(self):
        with self._lock:
            return list(self._tls_errors)

    @property
    def hanging(self):
        """Requests currently held without an answer."""
        with self._lock:
            return self._hanging

    def reset(self):
        """Forgets the records and the handshake count (not the subscribers)."""
        with self._lock:
            self._requests = []
            self._handshakes = 0
            self._tls_errors = []

    # server side

    def _note_tls_error(self, e):
        with self._lock:
            self._tls_errors.append(str(e))

    def _connection_opened(self, conn):
        with self._lock:
            self._handshakes += 1
            self._open.add(conn)
            return self._handshakes

    def _connection_closed(self, conn):
        with self._lock:
            self._open.discard(conn)

    def _handle(self, handler):
        length = handler.headers.get("Content-Length")
        try:
            body = handler.rfile.read(int(length)) if length else b""
        except ValueError:
            handler._send(400, b"bad Content-Length\n")
            return
        host = handler.headers.get("Host", "")
        req = Request(path=handler.path, method=handler.command, body=body,
                      headers={k.lower(): v for k, v in handler.headers.items()},
                      header_list=[(k.lower(), v) for k, v in handler.headers.items()],
                      connection=getattr(handler, "connection_number", None))
        try:
            if self.verify:
                req.vapid = verify_vapid(handler.headers.get("Authorization"), "https://" + host)
        except VapidError as e:
            req.vapid_error = str(e)
        with self._lock:
            sub = self._subscribers.get(handler.path)
            answers = self._answers.get(handler.path)
            if answers is None:
                answer = Answer(404, body=b"no such subscription\n")
            else:
                answer = answers[0]
                if len(answers) > 1:
                    answers.pop(0)
        if sub is not None and self.verify:
            try:
                req.payload = sub.decrypt(body)
            except DecryptError as e:
                req.decrypt_error = str(e)
        if self.strict_vapid and req.vapid_error is not None and answer.status < 300:
            answer = Answer(403, body=("vapid: %s\n" % req.vapid_error).encode())
        req.answer = answer
        with self._lock:
            req.hanging_before = self._hanging
            self._requests.append(req)
            if answer.hang:
                self._hanging += 1
            self._lock.notify_all()
        if answer.hang:
            self._stopping.wait()
            with self._lock:
                self._hanging -= 1
            handler.close_connection = True
            return
        if answer.delay and self._stopping.wait(answer.delay):
            handler.close_connection = True
            return
        headers = dict(answer.headers)
        if answer.retry_after is not None:
            headers["Retry-After"] = answer.retry_after
        if 200 <= answer.status < 300:
            headers.setdefault("Location", "https://%s/message/%d" % (host, len(self._requests)))
        handler._send(answer.status, answer.body, headers)
