"""POST /api/v1/publish on the ws listener (DESIGN.md "HTTP", issue 4): Bearer JWT or Basic
(service account), never anonymous, ACL `send` applied; 202 {"message_id"}, otherwise a JSON
{"error"} with 400, 401 (+ WWW-Authenticate), 403, 413 or 415. STOMP subscribers get what was
published, with the trusted x-sender."""

import base64
import http.client
import json
import shutil
import socket
import unittest

from auth_support import HMAC_SECRET, OTHER_SECRET, AuthCase, hmac_issuer, mint
from harness import deadline_s

PATH = "/api/v1/publish"
MAX_FRAME = 8192


class HttpPublishTest(AuthCase):

    @classmethod
    def setUpClass(cls):
        key = {"alg": "HS256", "secret": HMAC_SECRET, "kid": None}
        other = {"alg": "HS256", "secret": OTHER_SECRET, "kid": None}
        iss = "https://hmac.example"
        specs = {
            "editor": {"key": "h", "claims": {"sub": "ed", "iss": iss, "roles": ["editor"]}},
            "reader": {"key": "h", "claims": {"sub": "rita", "iss": iss, "roles": ["reader"]}},
            "expired": {"key": "h", "exp": -120,
                        "claims": {"sub": "ed", "iss": iss, "roles": ["editor"]}},
            "revoked": {"key": "h", "claims": {"sub": "ed", "iss": iss, "roles": ["editor"],
                                               "jti": "gone"}},
            "forged": {"key": "o", "claims": {"sub": "ed", "iss": iss, "roles": ["editor"]}},
        }
        out = mint({"keys": {"h": key, "o": other}, "tokens": list(specs.values())})
        shutil.rmtree(out["dir"], ignore_errors=True)
        cls.tokens = dict(zip(specs, out["tokens"]))

    def auth_config(self):
        return {"anonymous": True,  # STOMP may be anonymous; HTTP publish never is
                "max_failures_per_minute": 1000, "revoked_jti": ["gone"],
                "users": [{"login": "publisher", "passcode": "pub-pass", "roles": ["publisher"]},
                          {"login": "lurker", "passcode": "lurk-pass", "roles": ["reader"]}],
                "jwt": [hmac_issuer(leeway_s=0)],
                "acl": [{"destination": "/topic/news.*", "subscribe": ["anonymous", "reader"],
                         "send": ["publisher", "editor"]},
                        {"destination": "/queue/jobs", "subscribe": ["anonymous"],
                         "send": ["publisher"]}]}

    def extra_config(self):
        return {"limits": {"max_frame_bytes": MAX_FRAME}}

    # -- HTTP

    def post(self, payload, auth="editor", content_type="application/json", headers=None,
             path=PATH):
        """POSTs; returns (status, {lowercased header: value}, parsed JSON body or raw bytes).
        auth: a token name, ("basic", login, pass), a raw Authorization value, or None."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = {}
        if content_type is not None:
            sent["Content-Type"] = content_type
        if isinstance(auth, tuple):
            creds = base64.b64encode(f"{auth[1]}:{auth[2]}".encode()).decode()
            sent["Authorization"] = f"Basic {creds}"
        elif auth in self.tokens:
            sent["Authorization"] = f"Bearer {self.tokens[auth]}"
        elif auth is not None:
            sent["Authorization"] = auth
        sent.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.broker.ws_port,
                                          timeout=deadline_s(10))
        try:
            conn.request("POST", path, body=data, headers=sent)
            response = conn.getresponse()
            body = response.read()
            got = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = body
        return response.status, got, parsed

    def assert_error(self, expected_status, payload, **kwargs):
        status, headers, body = self.post(payload, **kwargs)
        self.assertEqual(status, expected_status, body)
        self.assertIsInstance(body, dict, f"error body is not JSON: {body!r}")
        self.assertIsInstance(body.get("error"), str, body)
        self.assertTrue(body["error"], body)
        self.assertIn("application/json", headers.get("content-type", ""), headers)
        return headers, body

    def subscriber(self, destination="/topic/news.today"):
        c = self.login({})  # anonymous STOMP reader
        c.subscribe(destination, "n")
        return c

    def assert_nothing_published(self, subscriber, destination="/topic/news.today"):
        """A marker published after the refused request is the first thing the subscriber
        gets: the refused request delivered nothing."""
        status, _, body = self.post({"destination": destination, "body": "marker"})
        self.assertEqual(status, 202, body)
        message = subscriber.read_frame(10)
        self.assertEqual((message.command, message.body), ("MESSAGE", b"marker"), message)

    # -- accepted

    def test_bearer_publish(self):
        sub = self.subscriber()
        status, _, body = self.post({"destination": "/topic/news.today", "body": "héllo",
                                     "headers": {"priority": "high", "x-trace": "t-1"}})
        self.assertEqual(status, 202, body)
        self.assertIsInstance(body.get("message_id"), str, body)
        self.assertTrue(body["message_id"])
        message = sub.expect("MESSAGE", destination="/topic/news.today", timeout=10)
        self.assertEqual(message.body, "héllo".encode())
        self.assertEqual(message.headers.get("priority"), "high")
        self.assertEqual(message.headers.get("x-trace"), "t-1")
        self.assertEqual(message.headers.get("x-sender"), "ed")
        self.assertEqual(message.headers.get("message-id"), body["message_id"])

    def test_basic_auth_service_account(self):
        sub = self.subscriber()
        status, _, body = self.post({"destination": "/topic/news.today", "body": "from svc"},
                                    auth=("basic", "publisher", "pub-pass"))
        self.assertEqual(status, 202, body)
        message = sub.expect("MESSAGE", timeout=10)
        self.assertEqual((message.body, message.headers.get("x-sender")),
                         (b"from svc", "publisher"))

    def test_body_base64(self):
        raw = bytes(range(256)) + b"\x00\xff end"
        sub = self.subscriber()
        status, _, body = self.post({"destination": "/topic/news.today",
                                     "body_base64": base64.b64encode(raw).decode()})
        self.assertEqual(status, 202, body)
        self.assertEqual(sub.expect("MESSAGE", timeout=10).body, raw)

    def test_forged_x_sender_header_dropped(self):
        sub = self.subscriber()
        status, _, body = self.post({"destination": "/topic/news.today", "body": "x",
                                     "headers": {"x-sender": "the-ceo"}})
        self.assertEqual(status, 202, body)
        message = sub.expect("MESSAGE", timeout=10)
        self.assertEqual([v for n, v in message.header_list if n == "x-sender"], ["ed"])

    def test_queue_destination(self):
        consumer = self.subscriber("/queue/jobs")
        status, _, body = self.post({"destination": "/queue/jobs", "body": "job 1"},
                                    auth=("basic", "publisher", "pub-pass"))
        self.assertEqual(status, 202, body)
        self.assertEqual(consumer.expect("MESSAGE", destination="/queue/jobs").body, b"job 1")

    def test_json_with_charset(self):
        sub = self.subscriber()
        status, _, body = self.post({"destination": "/topic/news.today", "body": "cs"},
                                    content_type="application/json; charset=utf-8")
        self.assertEqual(status, 202, body)
        self.assertEqual(sub.expect("MESSAGE", timeout=10).body, b"cs")

    def test_body_just_under_max_frame_bytes(self):
        sub = self.subscriber()
        text = "b" * (MAX_FRAME // 2)
        status, _, body = self.post({"destination": "/topic/news.today", "body": text})
        self.assertEqual(status, 202, body)
        self.assertEqual(sub.expect("MESSAGE", timeout=10).body, text.encode())

    def test_messages_in_order(self):
        sub = self.subscriber()
        for i in range(20):
            status, _, body = self.post({"destination": "/topic/news.today", "body": f"m{i}"})
            self.assertEqual(status, 202, body)
        self.assertEqual([m.body for m in sub.read_messages(20)],
                         [f"m{i}".encode() for i in range(20)])

    # -- 401

    def test_no_credentials(self):
        sub = self.subscriber()
        headers, _ = self.assert_error(401, {"destination": "/topic/news.today", "body": "anon"},
                                       auth=None)
        self.assertIn("www-authenticate", headers)
        self.assertRegex(headers["www-authenticate"], r"(?i)bearer|basic")
        self.assert_nothing_published(sub)

    def test_bad_tokens(self):
        sub = self.subscriber()
        for auth in ("forged", "expired", "revoked", "Bearer not.a.token", "Bearer ",
                     "Bearer", "Token abc"):
            with self.subTest(auth=auth):
                headers, _ = self.assert_error(
                    401, {"destination": "/topic/news.today", "body": "bad"}, auth=auth)
                self.assertIn("www-authenticate", headers)
        self.assert_nothing_published(sub)

    def test_bad_basic_credentials(self):
        sub = self.subscriber()
        for auth in (("basic", "publisher", "wrong"), ("basic", "nobody", "pub-pass"),
                     "Basic !!!not-base64", "Basic " + base64.b64encode(b"no-colon").decode()):
            with self.subTest(auth=auth):
                headers, _ = self.assert_error(
                    401, {"destination": "/topic/news.today", "body": "bad"}, auth=auth)
                self.assertIn("www-authenticate", headers)
        self.assert_nothing_published(sub)

    # -- 403

    def test_acl_denies_send(self):
        sub = self.subscriber()
        for auth in ("reader", ("basic", "lurker", "lurk-pass")):
            with self.subTest(auth=auth):
                self.assert_error(403, {"destination": "/topic/news.today", "body": "nope"},
                                  auth=auth)
        self.assert_error(403, {"destination": "/topic/other", "body": "no rule"})
        self.assert_nothing_published(sub)

    # -- 400

    def test_bad_json_and_fields(self):
        sub = self.subscriber()
        cases = [
            b"{not json",
            b"",
            b"[]",
            b'"just a string"',
            {"body": "no destination"},
            {"destination": 42, "body": "x"},
            {"destination": "/topic/news.today", "body": 42},
            {"destination": "/topic/news.today", "body": "x", "headers": ["a", "b"]},
            {"destination": "/topic/news.today", "body": "x", "headers": {"a": 1}},
            {"destination": "/topic/news.today", "body_base64": "***not base64***"},
            {"destination": "", "body": "x"},
        ]
        for payload in cases:
            with self.subTest(payload=payload):
                self.assert_error(400, payload)
        self.assert_nothing_published(sub)

    def test_unknown_destination_prefix(self):
        self.assert_error(400, {"destination": "/nowhere/x", "body": "x"},
                          auth=("basic", "publisher", "pub-pass"))

    # -- 413

    def test_body_over_max_frame_bytes(self):
        sub = self.subscriber()
        self.assert_error(413, {"destination": "/topic/news.today", "body": "z" * (MAX_FRAME + 1)})
        self.assert_error(413, {"destination": "/topic/news.today",
                                "body_base64": base64.b64encode(b"z" * (MAX_FRAME * 2)).decode()})
        self.assert_nothing_published(sub)

    # -- chunked bodies (Node's http client sends every POST so)

    def post_chunked(self, pieces):
        """POSTs `pieces` as a Transfer-Encoding: chunked body; (status, parsed JSON)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.broker.ws_port,
                                          timeout=deadline_s(10))
        try:
            conn.request("POST", PATH, body=iter(pieces), encode_chunked=True,
                         headers={"Content-Type": "application/json",
                                  "Authorization": f"Bearer {self.tokens['editor']}"})
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    def test_chunked_body(self):
        sub = self.subscriber()
        data = json.dumps({"destination": "/topic/news.today", "body": "in pieces"}).encode()
        status, body = self.post_chunked([data[:10], data[10:25], data[25:]])
        self.assertEqual(status, 202, body)
        self.assertEqual(sub.expect("MESSAGE", timeout=10).body, b"in pieces")
        big = json.dumps({"destination": "/topic/news.today", "body": "z" * (MAX_FRAME + 1)})
        big = big.encode()
        status, body = self.post_chunked([big[i:i + 4096] for i in range(0, len(big), 4096)])
        self.assertEqual((status, body.get("error")), (413, "body exceeds max_frame_bytes"))
        self.assert_nothing_published(sub)

    def test_broken_chunked_body(self):
        sub = self.subscriber()
        with socket.create_connection(("127.0.0.1", self.broker.ws_port),
                                      timeout=deadline_s(10)) as sock:
            sock.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: a\r\n"
                         b"Content-Type: application/json\r\nAuthorization: Bearer " +
                         self.tokens["editor"].encode() +
                         b"\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 400"), answer)
        self.assertIn(b"bad chunked encoding", answer)
        self.assert_nothing_published(sub)

    # -- 415

    def test_not_json_content_type(self):
        sub = self.subscriber()
        payload = {"destination": "/topic/news.today", "body": "x"}
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            with self.subTest(content_type=content_type):
                self.assert_error(415, payload, content_type=content_type)
        self.assert_nothing_published(sub)

    # -- the broker goes on

    def test_stomp_unaffected_by_http_errors(self):
        by = self.bystander()
        self.assert_error(400, b"{")
        self.assert_error(401, {"destination": "/topic/news.today", "body": "x"}, auth=None)
        self.assert_error(415, b"x", content_type="text/plain")
        self.assert_still_works(by)
        status, body = self.broker.http_get("/health")
        self.assertEqual((status, body.strip()), (200, b"ok"))


class HttpPublishFailureLimitTest(AuthCase):
    """Failed HTTP publish logins count against the client's IP like failed CONNECTs do:
    past auth.max_failures_per_minute the address gets 429 over HTTP and `too many failures`
    over STOMP, whatever it presents."""

    LIMIT = 3
    tokens = {}
    post = HttpPublishTest.post

    @classmethod
    def setUpClass(cls):
        HttpPublishTest.setUpClass.__func__(cls)

    def auth_config(self):
        config = HttpPublishTest.auth_config(self)
        config["max_failures_per_minute"] = self.LIMIT
        return config

    def extra_config(self):
        return HttpPublishTest.extra_config(self)

    def test_failed_http_logins_block_the_address(self):
        message = {"destination": "/topic/news.today", "body": "x"}
        # LIMIT failures are allowed; the one past it locks the address.
        for auth in (("basic", "publisher", "wrong"), "forged", ("basic", "nobody", "x"), None):
            self.assertEqual(self.post(message, auth=auth)[0], 401, auth)
        for auth in (("basic", "publisher", "pub-pass"), "editor", None):
            with self.subTest(auth=auth):
                status, _, body = self.post(message, auth=auth)
                self.assertEqual((status, body), (429, {"error": "too many failed logins"}))
        self.assertEqual(self.attempt({"login": "publisher", "passcode": "pub-pass"}),
                         "too many failures")


if __name__ == "__main__":
    unittest.main()
