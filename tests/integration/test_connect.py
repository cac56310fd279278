"""CONNECT/STOMP, CONNECTED headers, receipts, DISCONNECT, both transports, stomp.py basics."""

import re
import subprocess
import threading
import unittest

import stomp

from harness import BrokerTestCase, broker_binary, encode_frame, wait_for

SESSION_RE = re.compile(r"^(\d+)-(\S+)$")


def broker_version():
    out = subprocess.run([broker_binary(), "--version"], capture_output=True, text=True,
                         timeout=30)
    match = re.search(r"stampede (\S+)", out.stdout + out.stderr)
    assert match, f"--version printed {out.stdout!r} {out.stderr!r}"
    return match.group(1)


class ConnectTest(BrokerTestCase):

    def check_connected(self, frame, version):
        self.assertEqual(frame.command, "CONNECTED")
        self.assertEqual(frame.headers.get("version"), version)
        self.assertEqual(frame.headers.get("server"), f"Stampede/{broker_version()}")
        self.assertRegex(frame.headers.get("session", ""), SESSION_RE)
        self.assertIn("heart-beat", frame.headers)
        return frame

    def test_connect_and_stomp_commands(self):
        for command in ("CONNECT", "STOMP"):
            for transport in ("tcp", "ws"):
                with self.subTest(command=command, transport=transport):
                    c = self.broker.tcp_client(self) if transport == "tcp" \
                        else self.broker.ws_client(self)
                    self.check_connected(c.connect(command=command), "1.2")
                    c.subscribe("/topic/c", "1")
                    c.send("/topic/c", b"hi")
                    self.assertEqual(c.expect("MESSAGE").body, b"hi")

    def test_session_ids_are_unique_and_name_the_shard(self):
        sessions = set()
        clients = [self.broker.tcp_client(self) for _ in range(6)]
        for c in clients:
            session = c.connect().headers["session"]
            self.assertEqual(SESSION_RE.match(session).group(1), "0",
                             "one shard configured: shard index 0")
            sessions.add(session)
        self.assertEqual(len(sessions), 6)

    def test_any_login_and_passcode_is_accepted_when_anonymous(self):
        c = self.broker.tcp_client(self)
        c.connect(extra={"login": "whoever", "passcode": "whatever"})
        c.sync()

    def test_receipt_on_every_frame_that_asks(self):
        c = self.client()
        c.request(("SUBSCRIBE", [("destination", "/queue/r"), ("id", "q"),
                                 ("ack", "client-individual")]))
        c.request(("SEND", [("destination", "/queue/r")], b"m"))
        msg = c.expect("MESSAGE")
        c.request(("BEGIN", [("transaction", "t")]))
        # Held in the transaction: acted upon, and receipted, at COMMIT, before its receipt.
        c.send_frame("SEND", [("destination", "/topic/r"), ("transaction", "t"),
                              ("receipt", "held-send")], b"x")
        c.send_frame("ACK", [("id", msg.headers["ack"]), ("transaction", "t"),
                             ("receipt", "held-ack")], content_length=False)
        c.request(("COMMIT", [("transaction", "t")]))
        held = [f.headers.get("receipt-id") for f in c.pending if f.command == "RECEIPT"]
        self.assertEqual(held, ["held-send", "held-ack"])
        c.pending.clear()
        c.request(("BEGIN", [("transaction", "t2")]))
        c.request(("ABORT", [("transaction", "t2")]))
        c.request(("SEND", [("destination", "/queue/r")], b"n"))
        msg = c.expect("MESSAGE")
        c.request(("NACK", [("id", msg.headers["ack"])]))
        c.request(("UNSUBSCRIBE", [("id", "q")]))
        c.disconnect("last")

    def test_disconnect_receipt_comes_before_close(self):
        for transport in ("tcp", "ws"):
            with self.subTest(transport=transport):
                c = self.client(transport=transport)
                c.subscribe("/topic/d", "d")
                c.send_frame("DISCONNECT", [("receipt", "bye-77")], content_length=False)
                frame = c.read_frame()
                self.assertEqual((frame.command, frame.headers.get("receipt-id")),
                                 ("RECEIPT", "bye-77"))
                c.wait_closed()

    def test_disconnect_without_receipt_closes(self):
        c = self.client()
        c.send_frame("DISCONNECT", [], content_length=False)
        c.wait_closed()
        self.assertIsNone(c.reader.next_frame(), "no frame expected after DISCONNECT")

    def test_crlf_line_endings(self):
        c = self.broker.tcp_client(self)
        c.send_bytes(encode_frame("CONNECT", [("accept-version", "1.2"), ("host", "h")],
                                  content_length=False, eol=b"\r\n"))
        c.expect("CONNECTED")
        c.send_bytes(encode_frame("SUBSCRIBE", [("destination", "/topic/crlf"), ("id", "1"),
                                                ("receipt", "r")], content_length=False,
                                  eol=b"\r\n"))
        c.expect("RECEIPT", receipt_id="r")
        c.send_bytes(encode_frame("SEND", [("destination", "/topic/crlf"), ("x-a", "b")],
                                  b"crlf body", eol=b"\r\n"))
        msg = c.expect("MESSAGE")
        self.assertEqual(msg.body, b"crlf body")
        self.assertEqual(msg.headers.get("x-a"), "b", "a CR must not end up in a header value")
        self.assertEqual(msg.headers.get("destination"), "/topic/crlf")

    def test_content_length_body_with_nul_bytes(self):
        for transport in ("tcp", "ws"):
            with self.subTest(transport=transport):
                sub = self.client(transport=transport)
                sub.subscribe("/topic/nul", "n")
                pub = self.client()
                body = b"\x00a\x00\x00b" + bytes(range(256)) + b"\x00"
                pub.send("/topic/nul", body)
                msg = sub.expect("MESSAGE")
                self.assertEqual(msg.body, body)
                self.assertEqual(msg.headers["content-length"], str(len(body)))

    def test_websocket_subprotocols(self):
        for offered, version in ((["v12.stomp"], "1.2"), (["v11.stomp"], "1.1"),
                                 (["v10.stomp"], "1.0"),
                                 (["v12.stomp", "v11.stomp", "v10.stomp"], "1.2"), ([], "1.2")):
            with self.subTest(offered=offered):
                c = self.broker.ws_client(self, subprotocols=offered)
                if offered:
                    self.assertIn(c.stream.protocol, offered)
                    if len(offered) == 1:
                        self.assertEqual(c.stream.protocol, offered[0])
                else:
                    self.assertIsNone(c.stream.protocol)
                accept = {"1.2": "1.0,1.1,1.2", "1.1": "1.0,1.1", "1.0": "1.0"}[version]
                self.check_connected(c.connect(version=accept), version)
                c.subscribe("/topic/sp", "1")
                c.send("/topic/sp", b"ws")
                self.assertEqual(c.expect("MESSAGE").body, b"ws")

    def test_websocket_upgrade_only_on_the_configured_path(self):
        from harness import RawStomp
        with self.assertRaises((AssertionError, ConnectionError)):
            RawStomp.websocket("127.0.0.1", self.broker.ws_port, "/not-the-path").close()
        ok = RawStomp.websocket("127.0.0.1", self.broker.ws_port, "/ws")
        self.addCleanup(ok.close)
        ok.connect()

    def test_many_connections_at_once(self):
        clients = [self.client() for _ in range(40)]
        for i, c in enumerate(clients):
            c.subscribe("/topic/many", f"m{i}")
        clients[0].send("/topic/many", b"everyone")
        for c in clients:
            self.assertEqual(c.expect("MESSAGE").body, b"everyone")


class StompPyTest(BrokerTestCase):
    """Debian's python3-stomp over TCP, each protocol version."""

    def test_stomp_py_round_trip(self):
        for cls, version in ((stomp.Connection10, "1.0"), (stomp.Connection11, "1.1"),
                             (stomp.Connection12, "1.2")):
            with self.subTest(version=version):
                got, lock = [], threading.Lock()

                class Listener(stomp.ConnectionListener):
                    def on_message(self, frame):
                        with lock:
                            got.append(frame)

                conn = cls([("127.0.0.1", self.broker.tcp_port)], heartbeats=(0, 0)) \
                    if version != "1.0" else cls([("127.0.0.1", self.broker.tcp_port)])
                conn.set_listener("l", Listener())
                conn.connect("guest", "guest", wait=True)
                self.addCleanup(lambda c=conn: c.is_connected() and c.disconnect())
                self.assertTrue(conn.is_connected())
                dest = "/topic/py" + version
                conn.subscribe(dest, id="s", ack="auto")
                # same connection: the broker handles the SUBSCRIBE before these SENDs
                for i in range(20):
                    conn.send(dest, f"msg {i}", content_type="text/plain",
                              headers={"x-n": str(i)})
                wait_for(lambda: len(got) >= 20, 10, "20 messages")
                bodies = [f.body for f in got]
                self.assertEqual(bodies, [f"msg {i}" for i in range(20)])
                frame = got[4]
                self.assertEqual(frame.headers["x-n"], "4")
                self.assertEqual(frame.headers["content-type"], "text/plain")
                self.assertEqual(frame.headers["destination"], dest)
                self.assertIn("message-id", frame.headers)
                conn.disconnect(receipt="done")


if __name__ == "__main__":
    unittest.main()
