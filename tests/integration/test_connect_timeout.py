"""limits.connect_timeout_ms: a connection that never sends CONNECT is closed with ERROR
`connect timeout`; connected clients are not affected. Slowloris on every listener kind (a
WebSocket upgrade, an HTTP request or a STOMP CONNECT trickled a byte at a time) is cut at the
timeout, and its connection slot is given back."""

import socket
import time
import unittest

from harness import BrokerTestCase, deadline_s, default_config, wait_for
from test_cluster import metric

UPGRADE = (b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           b"X-Padding: " + b"a" * 200 + b"\r\n\r\n")
REQUEST = b"GET /health HTTP/1.1\r\nHost: a\r\nX-Padding: " + b"a" * 200 + b"\r\n\r\n"
CONNECT = b"CONNECT\naccept-version:1.2\nhost:a\nx-padding:" + b"a" * 200 + b"\n\n\0"


def trickle(port, data, interval_s=0.1, give_up_s=30):
    """Sends `data` a byte per interval until the broker closes; returns (seconds, answer)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=deadline_s(10))
    sock.settimeout(0.01)
    start = time.monotonic()
    answer = b""
    try:
        for byte in data:
            try:
                sock.send(bytes([byte]))
            except OSError:
                break
            try:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
            except socket.timeout:
                pass
            except OSError:
                break
            if time.monotonic() - start > give_up_s:
                break
            time.sleep(interval_s)
        return time.monotonic() - start, answer
    finally:
        sock.close()


class ConnectTimeoutTest(BrokerTestCase):
    def config(self):
        return default_config(limits={"connect_timeout_ms": 300})

    def test_silent_connections_are_closed(self):
        bystander = self.bystander()
        for transport in ("tcp", "ws"):
            silent = (self.broker.tcp_client(self) if transport == "tcp"
                      else self.broker.ws_client(self))
            silent.expect_error("connect timeout", timeout=5)
            silent.wait_closed()
        self.assert_still_works(bystander)

    def test_a_timely_connect_stays(self):
        c = self.client()
        # Longer than the timeout: the connection must still work.
        self.assertIsNone(c.try_read_frame(0.6))
        c.sync()



class SlowlorisTest(BrokerTestCase):
    def config(self):
        # 1.5 s: the HTTP header wait is in whole seconds (lws), so 2 s there.
        return default_config(shards=2, limits={"connect_timeout_ms": 1500})

    def test_trickled_requests_are_cut_on_every_listener_kind(self):
        bystander = self.bystander()
        for port, data, what in ((self.broker.ws_port, UPGRADE, "a WebSocket upgrade"),
                                 (self.broker.ws_port, REQUEST, "an HTTP request"),
                                 (self.broker.tcp_port, CONNECT, "a STOMP CONNECT")):
            seconds, answer = trickle(port, data)
            self.assertLess(seconds, 1.5 + 2 + 2 * deadline_s(1), f"{what} was not cut")
            self.assertGreater(seconds, 1.0, f"{what} was cut too early")
            if data is CONNECT:
                self.assertIn(b"message:connect timeout", answer)
        # no slot held by any of them
        wait_for(lambda: metric(self.broker, "stampede_connections_admitted") == 2, 10,
                 "the trickled connections' slots back (the bystander and /metrics hold two)")
        self.assert_still_works(bystander)


if __name__ == "__main__":
    unittest.main()
