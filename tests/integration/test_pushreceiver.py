"""Self-check of the test push receiver (coitest/pushreceiver.py): its
RFC 8291/8188/8292 code reproduces the published vectors, and over real
HTTPS it verifies VAPID, decrypts, scripts answers, holds a request without
answering while serving others, and counts TLS handshakes."""

import http.client
import json
import socket
import ssl
import time
import unittest

from coitest.pushreceiver import (Answer, DecryptError, PushReceiver, Subscriber, VapidError,
                                  VapidKey, b64u_decode, b64u_encode, decrypt, ece_decrypt,
                                  encrypt, verify_jwt, verify_vapid)

# shared/spec/test-vectors.md
RFC8291 = dict(
    plaintext=b"When I grow up, I want to be a watermelon",
    auth="BTBZMqHH6r4Tts7J_aSIgg",
    salt="DGv6ra1nlYgDCS1FRnbzlw",
    ua_public="BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
    ua_private="q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
    as_private="yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
    body="DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInm"
         "YWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQ"
         "exSgSxsj_Qulcy4a-fN",
)
RFC8188_IKM = "yqdlZ-tYemfogSmv7Ws5PQ"
RFC8188_BODY = "I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg"
RFC8292_JWT = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwczovL3B1c2guZXhhbXBsZS5uZXQiLC"
               "JleHAiOjE0NTM1MjM3NjgsInN1YiI6Im1haWx0bzpwdXNoQGV4YW1wbGUuY29tIn0.i3CYb7t4xfxCDquptF"
               "OepC9GAu_HLGkMlMuCGSK2rpiUfnK9ojFwDXb1JrErtmysazNjjvW2L9OkSSHzvoD1oA")
RFC8292_KEY = ("BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic-dRuU_RCPCfA5aq9ojSwk5Y2Em"
               "ClBPs")


class Vectors(unittest.TestCase):
    def test_rfc8291_vector_decrypts(self):
        body = b64u_decode(RFC8291["body"])
        self.assertEqual(len(body), 144)
        plain = decrypt(body, b64u_decode(RFC8291["ua_private"]), b64u_decode(RFC8291["auth"]))
        self.assertEqual(plain, RFC8291["plaintext"])

    def test_rfc8291_vector_encrypts_byte_for_byte(self):
        body = encrypt(RFC8291["plaintext"], b64u_decode(RFC8291["ua_public"]),
                       b64u_decode(RFC8291["auth"]), salt=b64u_decode(RFC8291["salt"]),
                       as_private=b64u_decode(RFC8291["as_private"]))
        self.assertEqual(b64u_encode(body), RFC8291["body"])

    def test_rfc8291_wrong_auth_fails(self):
        body = b64u_decode(RFC8291["body"])
        with self.assertRaises(DecryptError):
            decrypt(body, b64u_decode(RFC8291["ua_private"]), bytes(16))

    def test_rfc8188_vector_decrypts(self):
        self.assertEqual(ece_decrypt(b64u_decode(RFC8188_BODY), b64u_decode(RFC8188_IKM)),
                         b"I am the walrus")

    def test_rfc8292_example_signature_verifies(self):
        claims = verify_jwt(RFC8292_JWT, b64u_decode(RFC8292_KEY))
        self.assertEqual(claims, {"aud": "https://push.example.net", "exp": 1453523768,
                                  "sub": "mailto:push@example.com"})
        header = "vapid t=%s, k=%s" % (RFC8292_JWT, RFC8292_KEY)
        self.assertEqual(verify_vapid(header, "https://push.example.net", now=1453523768 - 3600),
                         claims)
        with self.assertRaisesRegex(VapidError, "past"):
            verify_vapid(header, "https://push.example.net")
        tampered = RFC8292_JWT[:-2] + ("AA" if not RFC8292_JWT.endswith("AA") else "BA")
        with self.assertRaisesRegex(VapidError, "signature"):
            verify_jwt(tampered, b64u_decode(RFC8292_KEY))

    def test_vapid_claim_checks(self):
        key = VapidKey()
        aud = "https://127.0.0.1:4443"
        self.assertEqual(verify_vapid(key.authorization(aud), aud)["aud"], aud)
        with self.assertRaisesRegex(VapidError, "aud"):
            verify_vapid(key.authorization("https://127.0.0.1"), aud)
        with self.assertRaisesRegex(VapidError, "24 hours"):
            verify_vapid(key.authorization(aud, exp=int(time.time()) + 25 * 3600), aud)
        with self.assertRaisesRegex(VapidError, "sub"):
            verify_vapid(key.authorization(aud, claims={"aud": aud,
                                                        "exp": int(time.time()) + 60}), aud)
        other = VapidKey()
        forged = "vapid t=%s, k=%s" % (key.jwt(aud), b64u_encode(other.public))
        with self.assertRaisesRegex(VapidError, "signature"):
            verify_vapid(forged, aud)

    def test_roundtrip_and_subscription_json(self):
        sub = Subscriber()
        self.assertEqual(sub.decrypt(sub.encrypt(b"hello", padding=7)), b"hello")
        value = json.loads(sub.subscription_json("https://push.test/x", msgtype="chat"))
        self.assertEqual(len(b64u_decode(value["resource"]["keys"]["p256dh"])), 65)
        self.assertEqual(len(b64u_decode(value["resource"]["keys"]["auth"])), 16)
        self.assertEqual(value["msgtype"], "chat")


class OverHttps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = PushReceiver().start()
        cls.vapid = VapidKey()

    @classmethod
    def tearDownClass(cls):
        cls.rx.stop()

    def setUp(self):
        self.rx.reset()

    def connect(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.rx.port, timeout=timeout,
                                           context=self.rx.ca.client_context())

    def post(self, conn, name, sub, plaintext=b"{}", auth=None):
        headers = {
            "TTL": "60",
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Authorization": auth or self.vapid.authorization(self.rx.origin()),
        }
        conn.request("POST", "/push/" + name, body=sub.encrypt(plaintext), headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Retry-After"), resp.read()

    def test_valid_push_is_recorded_and_decrypted(self):
        sub, endpoint = self.rx.subscriber("ok")
        self.assertTrue(endpoint.startswith("https://127.0.0.1:"))
        conn = self.connect()
        self.assertEqual(self.post(conn, "ok", sub, b'{"a":1}')[0], 201)
        self.assertEqual(self.post(conn, "ok", sub, b'{"a":2}')[0], 201)
        conn.close()
        reqs = self.rx.requests("ok")
        self.assertEqual([r.json() for r in reqs], [{"a": 1}, {"a": 2}])
        self.assertEqual(reqs[0].headers["ttl"], "60")
        self.assertIsNone(reqs[0].vapid_error)
        self.assertEqual(reqs[0].vapid["aud"], self.rx.origin())
        # two requests on one keep-alive connection: one handshake
        self.assertEqual(self.rx.handshakes, 1)
        self.assertEqual(reqs[0].connection, reqs[1].connection)

    def test_scripted_answers(self):
        sub, _ = self.rx.subscriber("script")
        self.rx.answer("script", Answer(429, retry_after=3), 500, 413, 400, 404, 410, 201)
        conn = self.connect()
        got = [self.post(conn, "script", sub)[:2] for _ in range(8)]
        conn.close()
        self.assertEqual(got, [(429, "3"), (500, None), (413, None), (400, None), (404, None),
                               (410, None), (201, None), (201, None)])

    def test_bad_vapid_gets_403_with_reason(self):
        sub, _ = self.rx.subscriber("badvapid")
        conn = self.connect()
        status, _, body = self.post(conn, "badvapid", sub,
                                    auth=self.vapid.authorization("https://elsewhere.test"))
        conn.close()
        self.assertEqual(status, 403)
        self.assertIn(b"aud", body)
        self.assertIn("aud", self.rx.requests("badvapid")[0].vapid_error)

    def test_wrong_keys_are_reported(self):
        sub, _ = self.rx.subscriber("wrongkey")
        conn = self.connect()
        self.assertEqual(self.post(conn, "wrongkey", Subscriber())[0], 201)
        conn.close()
        req = self.rx.requests("wrongkey")[0]
        self.assertIsNone(req.payload)
        self.assertIn("tag", req.decrypt_error)

    def test_unknown_path_is_404(self):
        conn = self.connect()
        self.assertEqual(self.post(conn, "nobody", Subscriber())[0], 404)
        conn.close()

    def test_hanging_request_does_not_hold_up_others(self):
        sub, _ = self.rx.subscriber("hang")
        sub2, _ = self.rx.subscriber("fine")
        self.rx.answer("hang", Answer(hang=True))
        stuck = self.connect(timeout=60)
        stuck.request("POST", "/push/hang", body=sub.encrypt(b"x"),
                      headers={"Authorization": self.vapid.authorization(self.rx.origin())})
        self.rx.wait_requests("hang", 1)
        conn = self.connect()
        self.assertEqual(self.post(conn, "fine", sub2)[0], 201)
        conn.close()
        self.assertGreaterEqual(self.rx.requests("fine")[0].hanging_before, 1)
        self.assertEqual(self.rx.hanging, 1)
        stuck.close()

    def test_slow_answer_still_comes(self):
        sub, _ = self.rx.subscriber("slow")
        self.rx.answer("slow", Answer(201, delay=0.3))
        conn = self.connect()
        self.assertEqual(self.post(conn, "slow", sub)[0], 201)
        conn.close()

    def test_tls_is_verified_against_the_test_ca(self):
        ctx = ssl.create_default_context()  # system CAs only
        conn = http.client.HTTPSConnection("127.0.0.1", self.rx.port, timeout=10, context=ctx)
        with self.assertRaises(ssl.SSLCertVerificationError):
            conn.request("POST", "/push/x", body=b"")
        conn.close()

    def test_handshake_counted_per_connection(self):
        sub, _ = self.rx.subscriber("count")
        for _ in range(3):
            conn = self.connect()
            self.assertEqual(self.post(conn, "count", sub)[0], 201)
            conn.close()
        self.assertEqual(self.rx.handshakes, 3)
        # a plain TCP connect without TLS is no handshake
        socket.create_connection(("127.0.0.1", self.rx.port), timeout=5).close()
        self.assertEqual(self.rx.handshakes, 3)


if __name__ == "__main__":
    unittest.main()
