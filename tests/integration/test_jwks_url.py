"""jwks_url (issue #3): keys fetched over HTTP at start and every jwks_refresh_s; a rotation
at the identity provider reaches the broker without a restart, and a failing fetch keeps the
last good keys."""

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time
import unittest

from harness import BrokerTestCase, default_config, wait_for


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(secret, kid, sub):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps({"sub": sub, "exp": int(time.time()) + 600}).encode())
    sig = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


KEY1 = b"first-secret-key-0123456789abcdef"
KEY2 = b"second-secret-key-0123456789abcdef"


class IdentityProvider:
    """Serves /jwks.json; the test changes what it answers."""

    def __init__(self):
        self.status = 200
        self.keys = [("k1", KEY1)]
        self.fetches = 0
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                provider.fetches += 1
                body = json.dumps({"keys": [{"kty": "oct", "kid": kid, "alg": "HS256",
                                             "k": b64(secret)} for kid, secret in provider.keys]})
                self.send_response(provider.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class JwksUrlTest(BrokerTestCase):
    def setUp(self):
        self.idp = IdentityProvider()
        self.addCleanup(self.idp.stop)
        super().setUp()

    def config(self):
        # Polling with refused CONNECTs must not trip the brute-force guard.
        return default_config(auth={
            "anonymous": False, "max_failures_per_minute": 1000000, "jwt": [{
            "name": "idp", "algorithms": ["HS256"],
            "keys": {"jwks_url": self.idp.url, "jwks_refresh_s": 1}}]})

    def connect(self, tok):
        c = self.broker.tcp_client(self)
        c.connect(extra={"Authorization": f"Bearer {tok}"}, expect_connected=False)
        return c.read_frame()

    def accepted(self, tok):
        frame = self.connect(tok)
        return frame.command == "CONNECTED"

    def test_rotation_reaches_the_broker_and_failures_keep_the_last_keys(self):
        self.assertTrue(self.accepted(token(KEY1, "k1", "alice")))
        refused = self.connect(token(KEY2, "k2", "alice"))
        self.assertEqual(refused.headers.get("message"), "unknown key id")

        self.idp.keys = [("k2", KEY2)]  # the provider rotates
        wait_for(lambda: self.accepted(token(KEY2, "k2", "bob")), 10, "the rotated key")
        self.assertEqual(self.connect(token(KEY1, "k1", "alice")).headers.get("message"),
                         "unknown key id")

        self.idp.status = 500  # the provider fails: the last good keys stay
        fetched = self.idp.fetches
        wait_for(lambda: self.idp.fetches >= fetched + 2, 10, "two failed refreshes")
        self.assertTrue(self.accepted(token(KEY2, "k2", "carol")))
        wait_for(lambda: "keeping the last good keys" in self.broker.output(), 5, "a warning")


if __name__ == "__main__":
    unittest.main()
