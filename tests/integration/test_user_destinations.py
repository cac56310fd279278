"""Temporary reply queues (RabbitMQ's `/temp-queue/` in reply-to, replies on
`/reply-queue/<session>.<name>`) and user destinations (Spring's `/user/queue/NAME` and
`/user/PRINCIPAL/queue/NAME`), on one node with two shards: request/reply across shards,
replies to a closed session dropped, fan-out to every session of a principal, messages waiting
until the principal subscribes, the ACL, anonymous sessions and malformed names refused. Every
refusal shows its ERROR frame and that other connections go on working (docs/protocol.md,
"Temporary reply queues" and "User destinations")."""

import base64
import http.client
import json
import shutil
import threading
import unittest

import stomp

from auth_support import HMAC_SECRET, AuthCase, hmac_issuer, mint
from harness import BrokerTestCase, deadline_s, wait_for


def shard_of(connected):
    return connected.headers["session"].split("-")[0]


class Recorder(stomp.ConnectionListener):
    def __init__(self):
        self.messages, self.errors = [], []
        self.lock = threading.Lock()

    def on_message(self, frame):
        with self.lock:
            self.messages.append(frame)

    def on_error(self, frame):
        with self.lock:
            self.errors.append(frame)


class TempQueueTest(BrokerTestCase):
    shards = 2

    def client_on(self, shard, transport="tcp", avoid=()):
        """A connected raw client whose session is on `shard` (connections are spread by the
        kernel: open until one lands there)."""
        for _ in range(40):
            c = self.broker.tcp_client(self) if transport == "tcp" else \
                self.broker.ws_client(self)
            connected = c.connect()
            if shard_of(connected) == shard:
                c.session = connected.headers["session"]
                return c
            c.disconnect()
        self.skipTest(f"no connection landed on shard {shard} in 40 tries")

    def request_reply(self, requester, responder, name="answers"):
        responder.subscribe("/queue/rpc", "rpc")
        requester.send("/queue/rpc", b"what time is it?", receipt=True,
                       headers={"reply-to": f"/temp-queue/{name}", "correlation-id": "c1"})
        request = responder.expect("MESSAGE", destination="/queue/rpc")
        reply_to = request.headers["reply-to"]
        self.assertEqual(reply_to, f"/reply-queue/{requester.session}.{name}")
        self.assertEqual(request.headers["correlation-id"], "c1")
        responder.send(reply_to, b"noon", receipt=True, headers={"correlation-id": "c1"})
        reply = requester.expect("MESSAGE")
        self.assertEqual(reply.body, b"noon")
        self.assertEqual(reply.headers["subscription"], f"/temp-queue/{name}")
        self.assertEqual(reply.headers["destination"], f"/temp-queue/{name}")
        self.assertEqual(reply.headers["correlation-id"], "c1")
        self.assertNotIn("ack", reply.headers)
        return reply_to

    def test_request_reply_across_shards(self):
        requester = self.client_on("0")
        responder = self.client_on("1", transport="ws")
        self.request_reply(requester, responder)
        # and the other way round, both over WebSocket
        requester = self.client_on("1", transport="ws")
        responder = self.client_on("0", transport="ws")
        self.request_reply(requester, responder, name="back")

    def test_request_reply_on_one_shard_and_many_replies(self):
        requester = self.client_on("0")
        responder = self.client_on("0")
        reply_to = self.request_reply(requester, responder)
        for n in range(20):
            responder.send(reply_to, f"more {n}".encode())
        self.assertEqual([m.body for m in requester.read_messages(20)],
                         [f"more {n}".encode() for n in range(20)])

    def test_reply_to_a_closed_session_is_dropped(self):
        by = self.bystander()
        requester = self.client_on("1")
        responder = self.client_on("0")
        responder.subscribe("/queue/rpc", "rpc")
        requester.send("/queue/rpc", b"ask", receipt=True,
                       headers={"reply-to": "/temp-queue/gone"})
        reply_to = responder.expect("MESSAGE").headers["reply-to"]
        requester.disconnect()
        responder.send(reply_to, b"nobody listens", receipt=True)  # RECEIPT, no ERROR
        # a name the session never used, and a session that never existed: dropped too
        live = self.client_on("1")
        responder.send(f"/reply-queue/{live.session}.never-used", b"x", receipt=True)
        responder.send("/reply-queue/1-999999.x", b"x", receipt=True)
        responder.send("/reply-queue/7-1.x", b"x", receipt=True)  # no shard 7
        live.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(live, "/topic/marker", responder)
        self.assert_still_works(by)

    def test_subscribe_to_temp_queue_is_accepted_and_replies_still_come(self):
        requester = self.client_on("0")
        requester.subscribe("/temp-queue/sub", "my-id")  # RECEIPT
        responder = self.client_on("1")
        responder.send(f"/reply-queue/{requester.session}.sub", b"direct", receipt=True)
        reply = requester.expect("MESSAGE")
        self.assertEqual((reply.body, reply.headers["subscription"]),
                         (b"direct", "/temp-queue/sub"))
        requester.unsubscribe("my-id")  # ignored, RECEIPT

    def test_misused_prefixes_are_errors(self):
        cases = [
            ("SEND", "/temp-queue/x", "bad destination"),
            ("SEND", "/reply-queue/nonsense", "bad destination"),
            ("SEND", "/reply-queue/0-1.", "bad destination"),
            ("SUBSCRIBE", "/reply-queue/0-1.x", "bad destination"),
            ("SEND", "/temp-queue-ish/x", "unknown destination prefix"),
        ]
        by = self.bystander()
        for command, destination, message in cases:
            with self.subTest(command=command, destination=destination):
                c = self.client()
                headers = [("destination", destination), ("receipt", "r")]
                if command == "SUBSCRIBE":
                    headers.append(("id", "s"))
                c.send_frame(command, headers)
                error = c.expect_error(message, receipt_id="r")
                self.assertIn(destination, error.body.decode())
        c = self.client()
        c.send("/topic/x", b"", headers={"reply-to": "/temp-queue/"}, receipt=False)
        c.expect_error("bad destination")
        self.assert_still_works(by)

    def test_stomp_py_request_reply(self):
        def connect():
            conn = stomp.Connection12([("127.0.0.1", self.broker.tcp_port)], heartbeats=(0, 0))
            recorder = Recorder()
            conn.set_listener("r", recorder)
            conn.connect("guest", "guest", wait=True)
            self.addCleanup(lambda: conn.is_connected() and conn.disconnect())
            return conn, recorder
        server, server_got = connect()
        server.subscribe("/queue/rpc.py", id="rpc", ack="auto")
        client, client_got = connect()
        for n in range(5):
            client.send("/queue/rpc.py", f"q{n}", headers={"reply-to": "/temp-queue/py"})
        wait_for(lambda: len(server_got.messages) == 5, 10, "5 requests")
        for request in server_got.messages:
            self.assertRegex(request.headers["reply-to"], r"^/reply-queue/\d+-\d+\.py$")
            server.send(request.headers["reply-to"], "a" + request.body)
        wait_for(lambda: len(client_got.messages) == 5, 10, "5 replies")
        self.assertEqual(sorted(m.body for m in client_got.messages),
                         [f"aq{n}" for n in range(5)])
        for m in client_got.messages:
            self.assertEqual(m.headers["subscription"], "/temp-queue/py")
            self.assertEqual(m.headers["destination"], "/temp-queue/py")
        self.assertEqual(server_got.errors + client_got.errors, [])


class TempQueueLimitsTest(BrokerTestCase):
    """A connection's temporary queues count as subscriptions."""
    config_overrides = {"limits": {"max_subscriptions_per_connection": 2}}

    def test_temporary_queues_count_as_subscriptions(self):
        c = self.client()
        c.subscribe("/topic/a", "a")
        c.send("/topic/b", b"", headers={"reply-to": "/temp-queue/one"}, receipt=True)
        c.send("/topic/b", b"", headers={"reply-to": "/temp-queue/one"}, receipt=True)  # same
        c.send("/topic/b", b"", headers={"reply-to": "/temp-queue/two"})
        c.expect_error("max_subscriptions_per_connection exceeded")


class ReplyBackpressureTest(BrokerTestCase):
    """Replies count against the owner's max_pending_bytes_per_connection."""
    config_overrides = {"limits": {"max_pending_bytes_per_connection": 262144}}

    def test_replies_count_against_max_pending_bytes(self):
        # a requester that never reads, with a small receive buffer
        requester = self.broker.tcp_client(self, rcvbuf=4096)
        requester.session = requester.connect().headers["session"]
        requester.send("/topic/t", b"", headers={"reply-to": "/temp-queue/flood"}, receipt=True)
        responder = self.client()
        by = self.bystander()
        reply_to = f"/reply-queue/{requester.session}.flood"
        chunk = b"x" * 32768
        for _ in range(400):  # 12.8 MB: far more than socket buffers can hide
            responder.send(reply_to, chunk)
        responder.sync()
        frames = []
        while not frames or frames[-1].command == "MESSAGE":
            frame = requester.try_read_frame(deadline_s(30))
            if frame is None:
                break
            frames.append(frame)
        self.assertEqual((frames[-1].command, frames[-1].headers.get("message")),
                         ("ERROR", "slow consumer"), f"{len(frames)} frames")
        self.assertLess(len(frames), 400)
        self.assert_still_works(by)



USERS = [
    {"login": "alice", "passcode": "alice-pass", "roles": ["member"]},
    {"login": "bob", "passcode": "bob-pass", "roles": ["member", "sender"]},
    {"login": "carol", "passcode": "carol-pass", "roles": ["member"]},
]
ALICE = {"login": "alice", "passcode": "alice-pass"}
BOB = {"login": "bob", "passcode": "bob-pass"}
CAROL = {"login": "carol", "passcode": "carol-pass"}
ISSUER = "https://hmac.example"


class UserDestinationTest(AuthCase):
    shards = 2

    @classmethod
    def setUpClass(cls):
        out = mint({"keys": {"h": {"alg": "HS256", "secret": HMAC_SECRET, "kid": None}},
                    "tokens": [{"key": "h", "claims": {"sub": "ops.team/eu", "iss": ISSUER}}]})
        shutil.rmtree(out["dir"], ignore_errors=True)
        cls.ops_token = out["tokens"][0]

    def auth_config(self):
        return {"anonymous": True, "max_failures_per_minute": 1000, "users": USERS,
                "jwt": [hmac_issuer()],
                "acl": [{"destination": "/user/#", "send": ["sender"]},
                        {"destination": "/topic/#", "subscribe": ["member", "anonymous"],
                         "send": ["member", "anonymous"]}]}

    def extra_config(self):
        return {"destinations": {"queues": [{"pattern": "/user/*/queue/small",
                                             "max_messages": 2}]}}

    def test_a_message_reaches_every_session_of_the_principal(self):
        a1 = self.login(ALICE)
        a2 = self.login(ALICE, transport="ws")
        a3 = self.login(ALICE)
        for c, ack in ((a1, None), (a2, "client"), (a3, None)):
            c.subscribe("/user/queue/inbox", "in", ack=ack)
        other = self.login(CAROL)
        other.subscribe("/user/queue/inbox", "in")  # carol's own inbox, not alice's
        bob = self.login(BOB)
        bob.send("/user/alice/queue/inbox", b"hi alice", receipt=True,
                 headers={"x-kind": "greeting"})
        for c in (a1, a2, a3):
            m = c.expect("MESSAGE")
            self.assertEqual(m.body, b"hi alice")
            self.assertEqual(m.headers["destination"], "/user/queue/inbox")
            self.assertEqual(m.headers["subscription"], "in")
            self.assertEqual(m.headers["x-sender"], "bob")
            self.assertEqual(m.headers["x-kind"], "greeting")
            self.assertEqual("ack" in m.headers, c is a2, m)
        other.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(other, "/topic/marker", bob)

    def test_client_ack_on_a_user_queue_is_accepted(self):
        a = self.login(ALICE)
        a.subscribe("/user/queue/acked", "s", ack="client-individual")
        bob = self.login(BOB)
        bob.send("/user/alice/queue/acked", b"one", receipt=True)
        m = a.expect("MESSAGE")
        a.request(("ACK", [("id", m.headers["ack"])]))  # RECEIPT, no ERROR
        bob.send("/user/alice/queue/acked", b"two", receipt=True)
        m = a.expect("MESSAGE")
        a.request(("NACK", [("id", m.headers["ack"])]))
        a.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(a, "/topic/marker", bob)  # a NACK brings nothing back

    def test_messages_wait_until_the_principal_subscribes(self):
        bob = self.login(BOB)
        for n in range(3):
            bob.send("/user/alice/queue/later", f"m{n}".encode(), receipt=True)
        first = self.login(ALICE)
        first.subscribe("/user/queue/later", "l")
        self.assertEqual([m.body for m in first.read_messages(3)], [b"m0", b"m1", b"m2"])
        second = self.login(ALICE, transport="ws")
        second.subscribe("/user/queue/later", "l")
        bob.send("/user/alice/queue/later", b"m3", receipt=True)
        # the backlog went to the first; both get what comes now
        self.assertEqual(first.expect("MESSAGE").body, b"m3")
        self.assertEqual(second.expect("MESSAGE").body, b"m3")
        # everyone unsubscribed: it waits again
        first.unsubscribe("l")
        second.unsubscribe("l")
        bob.send("/user/alice/queue/later", b"m4", receipt=True)
        third = self.login(ALICE)
        third.subscribe("/user/queue/later", "l")
        self.assertEqual(third.expect("MESSAGE").body, b"m4")

    def test_http_publish_reaches_a_user_queue(self):
        a = self.login(ALICE, transport="ws")
        a.subscribe("/user/queue/http", "h")
        status, body = self.post({"destination": "/user/alice/queue/http", "body": "via http"},
                                 ("bob", "bob-pass"))
        self.assertEqual(status, 202, body)
        m = a.expect("MESSAGE")
        self.assertEqual((m.body, m.headers["destination"], m.headers["x-sender"]),
                         (b"via http", "/user/queue/http", "bob"))
        status, body = self.post({"destination": "/user/al%41ice/queue/http", "body": "x"},
                                 ("bob", "bob-pass"))
        self.assertEqual((status, body.get("error")), (400, "bad destination"))
        status, body = self.post({"destination": "/user/alice/queue/http", "body": "x"},
                                 ("carol", "carol-pass"))
        self.assertEqual(status, 403, body)

    def test_percent_encoded_principal(self):
        ops = self.login({"passcode": self.ops_token})
        self.assertEqual(ops.connected_frame.headers.get("user-name"), "ops.team/eu")
        ops.subscribe("/user/queue/alerts", "a")
        bob = self.login(BOB)
        bob.send("/user/ops%2Eteam%2feu/queue/alerts", b"paged", receipt=True)
        m = ops.expect("MESSAGE")
        self.assertEqual((m.body, m.headers["destination"]), (b"paged", "/user/queue/alerts"))

    def test_queue_limits_apply(self):
        bob = self.login(BOB)
        bob.send("/user/alice/queue/small", b"1", receipt=True)
        bob.send("/user/alice/queue/small", b"2", receipt=True)
        by = self.bystander()
        bob.send("/user/alice/queue/small", b"3", headers={"receipt": "r3"})
        error = bob.expect_error("queue full", receipt_id="r3")
        self.assertIn("/user/alice/queue/small", error.body.decode())
        self.assert_still_works(by)
        a = self.login(ALICE)
        a.subscribe("/user/queue/small", "s")
        self.assertEqual([m.body for m in a.read_messages(2)], [b"1", b"2"])

    def test_the_acl_judges_the_sender(self):
        a = self.login(ALICE)
        a.subscribe("/user/queue/inbox", "in")
        by = self.bystander()
        carol = self.login(CAROL)
        carol.send("/user/alice/queue/inbox", b"sneaky", headers={"receipt": "r"})
        error = carol.expect_error("access denied", receipt_id="r")
        self.assertIn("/user/alice/queue/inbox", error.body.decode())
        self.assert_still_works(by)
        a.subscribe("/topic/marker", "mk")
        self.assert_nothing_arrives(a, "/topic/marker", self.login(BOB))

    def test_anonymous_sessions_have_no_user_queue(self):
        by = self.bystander()
        anon = self.login({})
        anon.subscribe("/topic/ok", "ok")  # an anonymous session works otherwise
        anon.send_frame("SUBSCRIBE", [("destination", "/user/queue/inbox"), ("id", "u"),
                                      ("receipt", "r")])
        error = anon.expect_error("user destination needs a principal", receipt_id="r")
        self.assertIn("/user/queue/inbox", error.body.decode())
        self.assert_still_works(by)

    def test_malformed_user_destinations_are_errors(self):
        cases = [
            ("SEND", "/user/al%41ice/queue/x"),    # an escape other than %2F %2E %25
            ("SEND", "/user/alice%2/queue/x"),     # a truncated escape
            ("SEND", "/user/alice%/queue/x"),
            ("SEND", "/user//queue/x"),            # empty principal
            ("SEND", "/user/alice/topic/x"),       # not queue/
            ("SEND", "/user/alice/queue/"),        # empty name
            ("SEND", "/user/alice"),
            ("SUBSCRIBE", "/user/alice/queue/x"),  # someone's queue: SEND only
            ("SUBSCRIBE", "/user/topic/x"),
            ("SUBSCRIBE", "/user/queue/"),
        ]
        by = self.bystander()
        for command, destination in cases:
            with self.subTest(command=command, destination=destination):
                c = self.login(BOB)
                headers = [("destination", destination), ("receipt", "r")]
                if command == "SUBSCRIBE":
                    headers.append(("id", "s"))
                c.send_frame(command, headers)
                error = c.expect_error("bad destination", receipt_id="r")
                self.assertIn(destination, error.body.decode())
        self.assert_still_works(by)

    # -- HTTP

    def post(self, payload, auth):
        creds = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        conn = http.client.HTTPConnection("127.0.0.1", self.broker.ws_port,
                                          timeout=deadline_s(10))
        try:
            conn.request("POST", "/api/v1/publish", body=json.dumps(payload).encode(),
                         headers={"Content-Type": "application/json",
                                  "Authorization": f"Basic {creds}"})
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()


if __name__ == "__main__":
    unittest.main()
