"""The offline hook's webhook (DESIGN.md "Rooms", "Offline hook"; issue 13), one node, memory
backend: a room message is POSTed to a local HTTP receiver for the room's members who are away
(no session on the node for debounce_ms), never for online members or the sender; a member
who drops and comes back within debounce_ms gets no push; records are batched (a JSON array);
a receiver that is down gets the batch retried until it comes back. The receiver checks
X-Stampede-Signature (HMAC-SHA256 of the body with the shared secret) on every POST.

Members are service accounts (CONNECT login/passcode) who subscribed to the room."""

import hashlib
import hmac
import http.server
import json
import os
import signal
import socket
import tempfile
import threading
import time
import unittest

from harness import BrokerTestCase, default_config
from test_ops import run
from support import deadline_s, wait_for
from test_cluster import metric

SECRET = "webhook-secret-for-the-tests"
DEBOUNCE_MS = 1500
USERS = ["alice", "bob", "carol", "dave"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """An HTTP server on 127.0.0.1:`port` keeping every POST; a bad signature is kept as a
    failure for the test to report (an exception in the server thread would go unseen)."""

    def __init__(self, port):
        self.port = port
        self.posts = []  # (monotonic time, parsed body)
        self.bad = []
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                got = self.headers.get("X-Stampede-Signature")
                with receiver.lock:
                    if got != expected or self.headers.get("Content-Type") != "application/json":
                        receiver.bad.append((got, expected, dict(self.headers), body))
                    else:
                        receiver.posts.append((time.monotonic(), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def records(self):
        """Every record received so far, with its POST's arrival time, in arrival order."""
        out = []
        with self.lock:
            for when, body in self.posts:
                for record in body if isinstance(body, list) else [body]:
                    out.append((when, record))
        return out

    def wait_record(self, predicate, timeout, what):
        def find():
            return next((r for when, r in self.records() if predicate(r)), None)
        return wait_for(find, timeout, what)


class OfflineHookTest(BrokerTestCase):

    def setUp(self):
        self.port = free_port()
        self.receiver = Receiver(self.port)
        self.addCleanup(self.receiver.stop)
        if self.receiver_up_at_start():
            self.receiver.start()
        super().setUp()
        self.addCleanup(self.assert_signatures_checked)

    def receiver_up_at_start(self):
        return True

    def config(self):
        return default_config(
            destinations={"rooms": [{"pattern": "/topic/room.*"}]},
            auth={"anonymous": False,
                  "users": [{"login": u, "passcode": "pw", "roles": ["member"]} for u in USERS]},
            offline_hook={"webhook_url": f"http://127.0.0.1:{self.port}/hooks/stampede",
                          "webhook_secret": SECRET, "debounce_ms": DEBOUNCE_MS})

    def assert_signatures_checked(self):
        self.assertEqual(self.receiver.bad, [], "POSTs with a bad signature or content type")

    def user(self, name):
        c = self.broker.tcp_client(self)
        c.connect(extra={"login": name, "passcode": "pw"})
        return c

    def member(self, name, room):
        """A connected session of `name`, a member of `room` (subscribed to it)."""
        c = self.user(name)
        c.subscribe(room, "r")
        return c

    def send(self, client, room, body):
        client.send(room, body, receipt=True)
        frame = client.expect("MESSAGE")  # its own copy, numbered
        self.assertEqual(frame.body, body)
        return int(frame.headers["x-seq"])

    def gone(self, client):
        """DISCONNECTs and returns when the session ended (the socket closed)."""
        client.disconnect()
        client.wait_closed()
        return time.monotonic()

    def test_offline_members_are_reported_online_ones_and_the_sender_not(self):
        room = "/topic/room.a"
        alice, bob, carol = (self.member(u, room) for u in ("alice", "bob", "carol"))
        left = self.gone(bob)
        seq = self.send(alice, room, "hello bob \u00e9".encode())
        carol.expect("MESSAGE")
        record = self.receiver.wait_record(lambda r: r["seq"] == seq,
                                           DEBOUNCE_MS / 1000 + 10, "bob's record")
        self.assertEqual(record, {"room": room, "seq": seq, "users": ["bob"],
                                  "preview": "hello bob \u00e9"})
        # The message came while bob's window ran: reported when it ended, not before.
        when = next(w for w, r in self.receiver.records() if r["seq"] == seq)
        self.assertGreaterEqual(when - left, DEBOUNCE_MS / 1000 - 0.05)
        # Now bob is offline: the next message names him at once.
        sent = time.monotonic()
        seq2 = self.send(carol, room, b"again")
        record = self.receiver.wait_record(lambda r: r["seq"] == seq2, 10, "the second record")
        self.assertEqual(record["users"], ["bob"])
        arrived = next(w for w, r in self.receiver.records() if r["seq"] == seq2)
        # A batch leaves 1 s after its first record; in a window it would take 1.5 s + 1 s.
        self.assertLess(arrived - sent, deadline_s(2.2))
        for c in (alice, carol):
            c.disconnect()
        self.assertGreaterEqual(metric(self.broker, "stampede_offline_hook_delivered_total"), 2)

    def test_a_member_back_within_debounce_gets_no_push(self):
        room = "/topic/room.b"
        alice = self.member("alice", room)
        bob = self.member("bob", room)
        dave = self.member("dave", room)
        self.gone(dave)  # offline the whole time: the control
        left = self.gone(bob)
        seq = self.send(alice, room, b"while bob blinks")
        bob = self.member("bob", room)  # back within debounce_ms
        self.assertLess(time.monotonic() - left, DEBOUNCE_MS / 1000)
        wait_for(lambda: metric(self.broker, "stampede_offline_hook_returned_total") >= 1, 10,
                 "the message held for bob to be let go")
        # dave's record comes (when his window ends); bob's window would have ended by then too.
        record = self.receiver.wait_record(lambda r: r["seq"] == seq, 10, "dave's record")
        self.assertEqual(record["users"], ["dave"])
        wait_for(lambda: time.monotonic() > left + DEBOUNCE_MS / 1000 + 1.5, 10,
                 "bob's window and a batch to pass")
        # An online member is never named either.
        seq2 = self.send(alice, room, b"bob is here")
        self.receiver.wait_record(lambda r: r["seq"] == seq2, 10, "the second record")
        for _, r in self.receiver.records():
            self.assertNotIn("bob", r["users"], r)
            self.assertNotIn("alice", r["users"], r)
        for c in (alice, bob):
            c.disconnect()

    def test_records_are_batched(self):
        room = "/topic/room.c"
        alice = self.member("alice", room)
        dave = self.member("dave", room)
        self.gone(dave)
        first = self.send(alice, room, b"first")
        self.receiver.wait_record(lambda r: r["seq"] == first, 10, "dave offline")
        seqs = [self.send(alice, room, f"burst {i}".encode()) for i in range(5)]
        wait_for(lambda: {r["seq"] for _, r in self.receiver.records()} >= set(seqs), 10,
                 "the burst's records")
        with self.receiver.lock:
            bodies = [body for _, body in self.receiver.posts]
        batches = [b for b in bodies if isinstance(b, list)]
        self.assertTrue(any({r["seq"] for r in b} == set(seqs) for b in batches),
                        f"no POST carried the whole burst as one array: {bodies}")
        alice.disconnect()


    def test_the_hook_is_restart_only(self):
        changed = self.config()
        changed["offline_hook"]["webhook_secret"] = "a-new-secret"
        self.broker.write_config(changed)
        self.broker.signal(signal.SIGHUP)
        self.broker.wait_log_count(r"offline_hook changed: it is restart-only", 1)
        self.broker.wait_log_count(r"config reloaded from", 1)
        room = "/topic/room.e"
        alice = self.member("alice", room)
        dave = self.member("dave", room)
        self.gone(dave)
        seq = self.send(alice, room, b"after the reload")
        # Still signed with the secret it started with (the receiver checks every POST).
        self.receiver.wait_record(lambda r: r["seq"] == seq, 10, "dave's record")
        alice.disconnect()


class OfflineHookRetryTest(OfflineHookTest):
    """The receiver is down when the first record is ready, and comes back later."""

    def receiver_up_at_start(self):
        return False

    test_offline_members_are_reported_online_ones_and_the_sender_not = None
    test_a_member_back_within_debounce_gets_no_push = None
    test_records_are_batched = None
    test_the_hook_is_restart_only = None

    def test_a_receiver_that_is_down_gets_the_batch_when_it_is_back(self):
        room = "/topic/room.d"
        alice = self.member("alice", room)
        dave = self.member("dave", room)
        self.gone(dave)
        seq = self.send(alice, room, b"are you there")
        wait_for(lambda: metric(self.broker, "stampede_offline_hook_post_failures_total") >= 2,
                 DEBOUNCE_MS / 1000 + 10, "two failed POSTs (retried)")
        self.assertEqual(metric(self.broker, "stampede_offline_hook_delivered_total"), 0)
        self.receiver.start()
        record = self.receiver.wait_record(lambda r: r["seq"] == seq, 40,
                                           "the record once the receiver is back")
        self.assertEqual(record["users"], ["dave"])
        self.broker.wait_log_count(r"offline hook: POST failed", 1)
        self.assertEqual(metric(self.broker, "stampede_offline_hook_delivered_total"), 1)
        alice.disconnect()


class OfflineHookCheckConfigTest(unittest.TestCase):
    """--check-config refuses a bad offline_hook at its line, and what is not built yet."""

    def check(self, text):
        with tempfile.TemporaryDirectory(prefix="stampede-hook-") as tmp:
            path = os.path.join(tmp, "stampede.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            out = run("--check-config", path)
            return out.returncode, (out.stdout + out.stderr).replace(path, "FILE")

    def test_bad_values_are_errors_at_their_line(self):
        code, text = self.check(
            "listeners: [ { name: web } ]\n"                                 # 1
            "destinations: { rooms: [ { pattern: \"/topic/room.*\" } ] }\n"  # 2
            "offline_hook:\n"                                                # 3
            "  webhook_url: \"ftp://push.example.com/x\"\n"                  # 4
            "  webhook_secret: s\n"                                          # 5
            "  debounce_ms: -5\n")                                           # 6
        self.assertEqual(code, 2, text)
        self.assertIn("FILE:4: offline_hook.webhook_url 'ftp://push.example.com/x' must start "
                      "with http:// or https://", text)
        self.assertIn("FILE:6: offline_hook.debounce_ms must be an integer from 0 to 86400000, "
                      "got '-5'", text)
        code, text = self.check(
            "listeners: [ { name: web } ]\n"
            "offline_hook: { webhook_url: \"http://push example/x\", webhook_secret: s }\n")
        self.assertEqual(code, 2, text)
        self.assertRegex(text, r"FILE:2: offline_hook.webhook_url .* must not contain whitespace")

    def test_the_redis_stream_and_a_cluster_are_refused(self):
        code, text = self.check(
            "listeners: [ { name: web } ]\n"
            "cluster: { redis: { url: \"redis://127.0.0.1:6379\" } }\n"
            "offline_hook:\n"
            "  redis_stream: true\n"
            "  webhook_url: \"http://127.0.0.1:9/hook\"\n"
            "  webhook_secret: s\n")
        self.assertEqual(code, 2, text)
        self.assertIn("FILE:4: offline_hook.redis_stream is not supported yet", text)
        self.assertRegex(text, r"FILE:5: offline_hook.webhook_url with a cluster "
                               r"\(cluster.redis.url\) is not supported yet")

    def test_a_good_hook_passes(self):
        code, text = self.check(
            "listeners: [ { name: web } ]\n"
            "destinations: { rooms: [ { pattern: \"/topic/room.*\" } ] }\n"
            "offline_hook: { webhook_url: \"https://push.example.com/hook\", "
            "webhook_secret: s, debounce_ms: 0 }\n")
        self.assertEqual(code, 0, text)
