"""A TCP publisher reaches WebSocket subscribers and the other way round: Debian's stomp.py on
the TCP listener, @stomp/stompjs in Node on the WebSocket listener (tests/interop/peer.mjs),
plus raw clients on both for binary bodies."""

import threading
import unittest

import stomp

from harness import BrokerTestCase, NodePeer, node_available, wait_for


class Recorder(stomp.ConnectionListener):
    def __init__(self):
        self.messages, self.receipts, self.errors = [], [], []
        self.lock = threading.Lock()

    def on_message(self, frame):
        with self.lock:
            self.messages.append(frame)

    def on_receipt(self, frame):
        with self.lock:
            self.receipts.append(frame.headers.get("receipt-id"))

    def on_error(self, frame):
        with self.lock:
            self.errors.append(frame)


class CrossTransportTest(BrokerTestCase):
    COUNT = 100

    def stomp_py(self):
        conn = stomp.Connection12([("127.0.0.1", self.broker.tcp_port)], heartbeats=(0, 0))
        recorder = Recorder()
        conn.set_listener("r", recorder)
        conn.connect("guest", "guest", wait=True)
        self.addCleanup(lambda: conn.is_connected() and conn.disconnect())
        return conn, recorder

    def require_node(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)

    def test_stomp_py_tcp_to_stompjs_ws(self):
        self.require_node()
        peer = NodePeer(self, "peer.mjs", ["sub", "/topic/cross.tcp2ws", str(self.COUNT)],
                        env={"STAMPEDE_WS_URL": self.broker.ws_url})
        peer.wait_event("ready")
        conn, _ = self.stomp_py()
        for i in range(self.COUNT):
            conn.send("/topic/cross.tcp2ws", f"from stomp.py {i} ✓", content_type="text/plain",
                      headers={"x-n": str(i), "x-from": "stomp.py"})
        messages = peer.wait_event("messages", timeout=30)["messages"]
        self.assertEqual([m["body"] for m in messages],
                         [f"from stomp.py {i} ✓" for i in range(self.COUNT)])
        for i, m in enumerate(messages):
            h = m["headers"]
            self.assertEqual(h["destination"], "/topic/cross.tcp2ws")
            self.assertEqual(h["x-n"], str(i))
            self.assertEqual(h["x-from"], "stomp.py")
            self.assertEqual(h["content-type"], "text/plain")
            self.assertTrue(h["message-id"])
            self.assertTrue(h["subscription"])
            self.assertEqual(h["content-length"], str(len(m["body"].encode())))

    def test_stompjs_ws_to_stomp_py_tcp(self):
        self.require_node()
        conn, recorder = self.stomp_py()
        conn.subscribe("/topic/cross.ws2tcp", id="py", ack="auto", headers={"receipt": "sub-ok"})
        wait_for(lambda: "sub-ok" in recorder.receipts, 10, "RECEIPT for SUBSCRIBE")
        peer = NodePeer(self, "peer.mjs", ["pub", "/topic/cross.ws2tcp", str(self.COUNT)],
                        env={"STAMPEDE_WS_URL": self.broker.ws_url})
        peer.wait_event("done", timeout=30)
        wait_for(lambda: len(recorder.messages) >= self.COUNT, 20, f"{self.COUNT} messages")
        self.assertEqual([f.body for f in recorder.messages],
                         [f"from stompjs {i}" for i in range(self.COUNT)])
        frame = recorder.messages[7]
        self.assertEqual(frame.headers["x-n"], "7")
        self.assertEqual(frame.headers["x-from"], "stompjs")
        self.assertEqual(frame.headers["content-type"], "text/plain")
        self.assertEqual(frame.headers["subscription"], "py")
        self.assertEqual(frame.headers["destination"], "/topic/cross.ws2tcp")
        self.assertEqual(recorder.errors, [])

    def test_binary_body_tcp_to_ws_and_back(self):
        binary = b"\x00\xff\xfe\x00NUL and invalid UTF-8\xc3\x28\x00"
        text = "valid UTF-8: grüße 😀".encode()
        ws = self.client(transport="ws")
        ws.subscribe("/topic/cross.bin", "w")
        tcp = self.client()
        tcp.subscribe("/topic/cross.bin", "t")
        tcp.send("/topic/cross.bin", binary, receipt=True)
        self.assertEqual(ws.expect("MESSAGE").body, binary)
        self.assertEqual(tcp.expect("MESSAGE").body, binary)
        ws.send("/topic/cross.bin", text)
        self.assertEqual(ws.expect("MESSAGE").body, text)
        self.assertEqual(tcp.expect("MESSAGE").body, text)
        ws.send("/topic/cross.bin", binary)
        self.assertEqual(ws.expect("MESSAGE").body, binary)
        self.assertEqual(tcp.expect("MESSAGE").body, binary)
        # the WebSocket message kinds: the binary bodies in binary frames, the text in text
        kinds = [(opcode, binary in data, text in data) for opcode, data in ws.stream.messages]
        self.assertIn((0x2, True, False), kinds)
        self.assertIn((0x1, False, True), kinds)
        self.assertNotIn((0x1, True, False), kinds, "invalid UTF-8 sent in a text frame")

    def test_queue_across_transports(self):
        ws = self.client(transport="ws")
        ws.subscribe("/queue/cross", "w")
        tcp = self.client()
        for i in range(5):
            tcp.send("/queue/cross", f"job {i}".encode(), receipt=True)
        self.assertEqual([m.body for m in ws.read_messages(5)],
                         [f"job {i}".encode() for i in range(5)])


if __name__ == "__main__":
    unittest.main()
