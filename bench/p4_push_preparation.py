#!/usr/bin/python3
"""P4 push preparation (payload + encryption + VAPID header) per second on
one core, divided by node's web-push package (generateRequestDetails) on
the same payload in the same run. Target >= 7. Also printed against
`openssl speed ecdhp256` on the same machine: the physical bound is about
one key generation plus one ECDH per push."""

import os
import re
import subprocess
import sys
import tempfile

from common import TOP, alternate, machine, report

sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from coitest.dovecot import build_dir  # noqa: E402

ROUNDS = 5
C_ITER = 3000
NODE_ITER = 1000


def b64u(data):
    import base64
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    print("P4 on " + machine())
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    tmp = tempfile.mkdtemp(prefix="coibench-")
    build = build_dir()
    prog = os.path.join(tmp, "push-prepare")
    cmd = ["gcc", "-O2", "-DHAVE_CONFIG_H", "-I/usr/include/dovecot",
           "-I" + os.path.join(TOP, "src/plugins/push-coi"), "-I" + os.path.join(TOP, "src/plugins/coi"),
           os.path.join(TOP, "bench", "push-prepare.c"),
           os.path.join(build, "src/plugins/push-coi/.libs/libpush_coi_pure.a"),
           os.path.join(build, "src/plugins/coi/.libs/libcoi_pure.a"),
           "-L/usr/lib/dovecot", "-Wl,-rpath,/usr/lib/dovecot", "-ldovecot", "-ljansson", "-lcrypto",
           "-o", prog]
    subprocess.run(cmd, check=True)

    node_dir = os.path.join(TOP, "bench", "node")
    if not os.path.isdir(os.path.join(node_dir, "node_modules", "web-push")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=node_dir, check=True)

    vapid = ec.generate_private_key(ec.SECP256R1())
    key_path = os.path.join(tmp, "vapid.pem")
    with open(key_path, "wb") as f:
        f.write(vapid.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    vapid_pub = b64u(vapid.public_key().public_bytes(serialization.Encoding.X962,
                                                     serialization.PublicFormat.UncompressedPoint))
    vapid_priv = b64u(vapid.private_numbers().private_value.to_bytes(32, "big"))
    ua = ec.generate_private_key(ec.SECP256R1())
    p256dh = b64u(ua.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint))
    auth = b64u(os.urandom(16))
    payload = os.path.join(tmp, "payload.json")
    sub = os.path.join(tmp, "sub.json")
    with open(sub, "w") as f:
        f.write('{"endpoint":"https://push.example.net/x","keys":{"p256dh":"%s","auth":"%s"}}' % (p256dh, auth))

    def ours():
        out = subprocess.run(["taskset", "-c", "0", prog, str(C_ITER), key_path, p256dh, auth, payload],
                             capture_output=True, text=True, check=True).stdout.split()
        return int(out[0]) / float(out[1])

    def node():
        out = subprocess.run(["taskset", "-c", "0", "node", os.path.join(node_dir, "webpush-prepare.js"),
                              str(NODE_ITER), payload, sub, vapid_pub, vapid_priv],
                             capture_output=True, text=True, check=True).stdout.split()
        return int(out[0]) / float(out[1])

    ours()  # writes the payload file and warms up
    b, c = alternate(ROUNDS, node, ours)
    report("P4 push preparation (pushes/s on one core, push_coi vs node web-push)", "push/s", b, c,
           target=7.0)
    speed = subprocess.run(["taskset", "-c", "0", "openssl", "speed", "-seconds", "3", "ecdhp256"],
                           capture_output=True, text=True).stdout
    m = re.search(r"256 bits ecdh \(nistp256\)\s+\S+s\s+([\d.]+)", speed)
    if m:
        ecdh = float(m.group(1))
        import statistics
        med = statistics.median(c)
        print("P4 bound: openssl ecdhp256 %.0f op/s; one push needs about one key generation and one "
              "ECDH (~2 ops): bound ~%.0f push/s; push_coi reaches %.0f%% of it" %
              (ecdh, ecdh / 2, 100.0 * med / (ecdh / 2)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
