"""SockJS limits, each crossed, each refused clearly while other clients go on:
- an xhr_send body or a SockJS websocket message over 2 x limits.max_frame_bytes + 64 KiB
  (JSON may double ordinary text): HTTP 413 / ERROR `max_frame_bytes exceeded`, then the
  session closes (c[3000]);
- SockJS sessions past limits.max_connections_per_ip / max_connections: HTTP 503 for the new
  session's first request;
- a session without a receiving request for sockjs.disconnect_delay_ms: cut (its STOMP session
  ends), while one with a receiver waiting lives on."""

import http.client
import json
import re
import socket
import time
import unittest

from harness import BrokerTestCase, deadline_s, wait_for
from raw_stomp import RawStomp
from sockjs_support import (Session, StreamingReceiver, new_session_url, request, sockjs_config,
                            sockjs_websocket, stomp_commands, stomp_frame, stomp_json,
                            ws_recv_text)

MAX_FRAME = 4096
MAX_MESSAGE = 2 * MAX_FRAME + 65536


def metric(port, name):
    status, _, body = request(port, "GET", "/metrics")
    assert status == 200, status
    return int(re.search(rf"^{re.escape(name)} (\d+)$", body.decode(), re.M).group(1))


class SockjsLimitsMixin:

    def bystander(self):
        ws = RawStomp.websocket("127.0.0.1", self.broker.ws_port)
        self.addCleanup(ws.close)
        ws.connect()
        ws.subscribe("/topic/by", "b1")
        return ws

    def assert_served(self, ws, session):
        """The plain WebSocket client and a SockJS session both still send and receive."""
        session.send("SUBSCRIBE", [("destination", "/topic/by"), ("id", "s"), ("receipt", "r")])
        session.poll_until(lambda f: any(c[0] == "RECEIPT" for c in f))
        body = f"still here {time.monotonic()}"
        ws.send("/topic/by", body.encode())
        self.assertEqual(ws.expect("MESSAGE").body, body.encode())
        session.poll_until(lambda f: any(c[2] == body for c in f))


class OversizedTest(SockjsLimitsMixin, BrokerTestCase):

    def config(self):
        return sockjs_config(limits={"max_frame_bytes": MAX_FRAME})

    def test_oversized_xhr_send_is_413_and_ends_the_session(self):
        ws = self.bystander()
        other = Session(self.broker.ws_port)
        other.open_and_connect()
        s = Session(self.broker.ws_port)
        s.open_and_connect()
        # Just under the limit is read (the STOMP parser then judges the frame itself).
        fits = json.dumps(["x" * (MAX_MESSAGE - 10)])
        self.assertEqual(s.send_raw(fits)[0], 204)
        s2 = Session(self.broker.ws_port)
        s2.open_and_connect()
        status, _, body = s2.send_raw(json.dumps(["x" * MAX_MESSAGE]))
        self.assertEqual(status, 413)
        self.assertIn(f"at most {MAX_MESSAGE} bytes".encode(), body)
        frames = []
        while not any(f[0] == "c" for f in frames):
            frames += s2.poll()
        errors = [c for c in stomp_commands(frames) if c[0] == "ERROR"]
        self.assertEqual(errors[0][1]["message"], "max_frame_bytes exceeded")
        self.assertEqual(frames[-1], ("c", [3000, "Go away!"]))
        self.assert_served(ws, other)

    def test_oversized_chunked_xhr_send_is_413(self):
        s = Session(self.broker.ws_port)
        s.open_and_connect()
        conn = http.client.HTTPConnection("127.0.0.1", self.broker.ws_port,
                                          timeout=deadline_s(10))
        self.addCleanup(conn.close)
        chunks = [b'["'] + [b"y" * 8192] * ((MAX_MESSAGE // 8192) + 2) + [b'"]']
        conn.request("POST", s.url + "/xhr_send", body=iter(chunks), encode_chunked=True)
        response = conn.getresponse()
        self.assertEqual(response.status, 413)
        response.read()
        # A chunked body within the limit is taken (sockjs-client in Node sends them so).
        other = Session(self.broker.ws_port)
        other.open_and_connect()
        conn2 = http.client.HTTPConnection("127.0.0.1", self.broker.ws_port,
                                           timeout=deadline_s(10))
        self.addCleanup(conn2.close)
        frame = stomp_json(stomp_frame("SUBSCRIBE", [("destination", "/topic/c"), ("id", "1"),
                                                     ("receipt", "chunked")])).encode()
        conn2.request("POST", other.url + "/xhr_send", body=iter([frame[:7], frame[7:]]),
                      encode_chunked=True)
        response = conn2.getresponse()
        self.assertEqual(response.status, 204)
        other.poll_until(lambda f: any(c[1].get("receipt-id") == "chunked" for c in f))

    def test_oversized_websocket_message_is_refused_with_an_error(self):
        ws = self.bystander()
        other = Session(self.broker.ws_port)
        other.open_and_connect()
        sock = sockjs_websocket(self.broker.ws_port, new_session_url() + "/websocket")
        self.addCleanup(sock.close)
        self.assertEqual(ws_recv_text(sock), "o")
        sock.send_message(json.dumps(["z" * MAX_MESSAGE]).encode())
        texts = []
        while True:
            data = sock.recv(deadline_s(5))
            self.assertIsNotNone(data, f"not closed; got {texts}")
            if data == b"":
                break
            texts.append(data.decode())
        self.assertIn("message:max_frame_bytes exceeded", json.loads(texts[0][1:])[0])
        self.assertEqual(texts[-1], 'c[3000,"Go away!"]')
        self.assert_served(ws, other)


class SessionCountTest(SockjsLimitsMixin, BrokerTestCase):

    def config(self):
        return sockjs_config(limits={"max_connections_per_ip": 3},
                             sockjs={"disconnect_delay_ms": 3000})

    def test_sessions_per_address_are_bounded(self):
        first = Session(self.broker.ws_port)
        first.open_and_connect()
        kept = [Session(self.broker.ws_port) for _ in range(2)]
        for s in kept:
            self.assertEqual(s.poll(), [("o", None)])
        status, _, body = request(self.broker.ws_port, "POST", new_session_url() + "/xhr")
        self.assertEqual(status, 503)
        self.assertIn(b"too many SockJS sessions from this address", body)
        # The sessions there are served as before (their requests are not new sessions).
        ws_port = self.broker.ws_port
        first.send("SUBSCRIBE", [("destination", "/topic/n"), ("id", "1"), ("receipt", "r")])
        first.poll_until(lambda f: any(c[0] == "RECEIPT" for c in f))
        self.assertEqual(metric(ws_port, "stampede_sockjs_sessions"), 3)
        # Once the two idle ones are cut (disconnect delay), new sessions are welcome again.
        wait_for(lambda: metric(ws_port, "stampede_sockjs_sessions") <= 2, timeout=15,
                 what="idle sessions cut")
        fresh = Session(ws_port)
        fresh.open_and_connect()


class NodeSessionLimitTest(BrokerTestCase):

    def config(self):
        return sockjs_config(limits={"max_connections": 4})

    def test_sessions_per_node_are_bounded(self):
        sessions = [Session(self.broker.ws_port) for _ in range(4)]
        for s in sessions:
            self.assertEqual(s.poll(), [("o", None)])
        status, _, body = request(self.broker.ws_port, "POST", new_session_url() + "/xhr")
        self.assertEqual(status, 503)
        self.assertIn(b"limits.max_connections", body)
        sessions[0].send("CONNECT", [("accept-version", "1.2"), ("host", "x")])
        sessions[0].poll_until(lambda f: any(c[0] == "CONNECTED" for c in f))


class SlowStreamingReaderTest(BrokerTestCase):
    """A receiver that stops reading holds one batch on its shard; the rest waits in the STOMP
    session's outbound queue, where limits.max_pending_bytes_per_connection applies."""

    def config(self):
        # No response limit to end the answer early: the reader must stall the session itself.
        return sockjs_config(limits={"max_pending_bytes_per_connection": 65536},
                             sockjs={"streaming_limit_bytes": 1 << 30})

    def test_a_stalled_streaming_reader_becomes_a_slow_consumer(self):
        port = self.broker.ws_port
        s = Session(port)
        s.open_and_connect()
        s.send("SUBSCRIBE", [("destination", "/topic/flood"), ("id", "1"), ("receipt", "r")])
        s.poll_until(lambda f: any(c[0] == "RECEIPT" for c in f))
        stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.settimeout(deadline_s(10))
        stalled.connect(("127.0.0.1", port))
        self.addCleanup(stalled.close)
        stalled.sendall(f"POST {s.url}/xhr_streaming HTTP/1.1\r\nHost: x\r\n"
                        "Content-Length: 0\r\n\r\n".encode())
        publisher = RawStomp.websocket("127.0.0.1", port)
        self.addCleanup(publisher.close)
        publisher.connect()
        body = b"f" * 4000
        for i in range(1000):  # 4 MB, far past what the sockets and the limit hold
            publisher.send("/topic/flood", body)
            if i % 100 == 99:
                publisher.sync()
        # Now the reader reads: what it gets ends with the slow-consumer ERROR and c[3000].
        stalled.settimeout(deadline_s(10))
        data = b""
        while True:
            try:
                chunk = stalled.recv(1 << 16)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        tail = data[-2000:].decode("utf-8", "replace")
        self.assertIn("message:slow consumer", tail)
        self.assertTrue(tail.endswith('c[3000,"Go away!"]\n'), tail[-200:])
        # (How much arrived before the ERROR depends on the kernel's socket buffers, which
        # autotune; the broker's own share is one batch plus max_pending_bytes.)
        # The publisher was never held back.
        publisher.send("/topic/other", b"x", receipt=True)


class IdleSessionTest(SockjsLimitsMixin, BrokerTestCase):

    def config(self):
        return sockjs_config(sockjs={"disconnect_delay_ms": 800, "heartbeat_ms": 300})

    def test_a_session_without_a_receiver_is_cut_after_the_disconnect_delay(self):
        ws = self.bystander()
        idle = Session(self.broker.ws_port)
        idle.open_and_connect()
        idle.send("SUBSCRIBE", [("destination", "/topic/by"), ("id", "i"), ("receipt", "r")])
        idle.poll_until(lambda f: any(c[0] == "RECEIPT" for c in f))
        last_poll = time.monotonic()  # its disconnect delay runs from here
        # One with a receiver waiting lives on: its heart-beats keep coming.
        busy = Session(self.broker.ws_port)
        busy.open_and_connect()
        stream = StreamingReceiver(self.broker.ws_port, busy.url)
        self.addCleanup(stream.close)
        stream.read()  # prelude
        # The idle one goes: its id is unknown to xhr_send.
        wait_for(lambda: idle.send_raw('["\\n"]')[0] == 404, timeout=10, what="idle cut")
        self.assertGreaterEqual(time.monotonic() - last_poll, 0.7)
        self.assertEqual(metric(self.broker.ws_port, "stampede_sockjs_sessions"), 1)
        self.assertEqual(stream.read(), "h")
        self.assertEqual(request(self.broker.ws_port, "POST", busy.url + "/xhr_send",
                                 body='["\\n"]')[0], 204)
        # Everyone else is served; the idle id starts a new session if it comes back.
        fresh = Session(self.broker.ws_port)
        fresh.open_and_connect()
        self.assert_served(ws, fresh)
        self.assertEqual(idle.poll(), [("o", None)])


if __name__ == "__main__":
    unittest.main()
