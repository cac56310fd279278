"""Behind a reverse proxy (issue #3): X-Forwarded-For is honoured only from trusted_proxies,
and the brute-force guard counts the real client, not the proxy."""

import base64
import os
import socket
import unittest

from harness import BrokerTestCase, RawStomp, WsStream, default_config, deadline_s


class ForwardedForTest(BrokerTestCase):
    trusted = ["127.0.0.1"]

    def config(self):
        return default_config(auth={
            "anonymous": False, "max_failures_per_minute": 2, "trusted_proxies": self.trusted,
            "users": [{"login": "svc", "passcode": "devpass", "roles": ["backend"]}]})

    def attempt(self, forwarded_for, passcode):
        sock = socket.create_connection(("127.0.0.1", self.broker.ws_port),
                                        timeout=deadline_s(5))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n"
                      f"X-Forwarded-For: {forwarded_for}\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(4096)
        _, _, rest = data.partition(b"\r\n\r\n")
        client = RawStomp(WsStream(sock, "v12.stomp", rest))
        self.addCleanup(client.close)
        client.send_frame("CONNECT", [("accept-version", "1.2"), ("login", "svc"),
                                      ("passcode", passcode)], content_length=False)
        frame = client.read_frame()
        return frame.command, frame.headers.get("message")

    def test_the_forwarded_client_is_counted_not_the_proxy(self):
        for _ in range(3):
            self.assertEqual(self.attempt("1.2.3.4, 10.0.0.1", "bad"),
                             ("ERROR", "bad credentials"))
        # 10.0.0.1 (the address the trusted proxy saw) is now refused without any check...
        self.assertEqual(self.attempt("10.0.0.1", "devpass"), ("ERROR", "too many failures"))
        # ...while another client behind the same proxy is not.
        self.assertEqual(self.attempt("10.0.0.2", "devpass"), ("CONNECTED", None))


class UntrustedProxyTest(ForwardedForTest):
    trusted = ["10.9.9.9/32"]

    def test_the_forwarded_client_is_counted_not_the_proxy(self):
        pass

    def test_an_untrusted_peer_cannot_choose_its_address(self):
        for _ in range(3):
            self.attempt("10.0.0.1", "bad")
        # The header is ignored: every attempt counted against 127.0.0.1 itself.
        self.assertEqual(self.attempt("10.0.0.2", "devpass"), ("ERROR", "too many failures"))


if __name__ == "__main__":
    unittest.main()
