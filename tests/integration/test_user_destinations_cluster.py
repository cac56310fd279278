"""User destinations on a cluster (issue 11): a SEND to /user/PRINCIPAL/queue/NAME on any node
reaches every session of that principal subscribed to /user/queue/NAME on every node, once;
while the principal has none anywhere it waits in Redis (bounded by the queue's
max_messages) and goes to the first node where one subscribes; STOMP, HTTP publish and the
Redis ingress alike. A dead Redis degrades to the sender's own node."""

import base64
import http.client
import json
import unittest

from harness import BrokerProcess, default_config, wait_for
from redis_harness import RedisProcess
from test_cluster import PREFIX, metric

USERS = [
    {"login": "alice", "passcode": "alice-pass", "roles": ["member"]},
    {"login": "bob", "passcode": "bob-pass", "roles": ["sender"]},
]
ALICE = [("login", "alice"), ("passcode", "alice-pass")]
BOB = [("login", "bob"), ("passcode", "bob-pass")]


def post(broker, payload, login, passcode):
    """POST /api/v1/publish with Basic credentials; (status, parsed JSON body)."""
    conn = http.client.HTTPConnection("127.0.0.1", broker.ws_port, timeout=10)
    try:
        creds = base64.b64encode(f"{login}:{passcode}".encode()).decode()
        conn.request("POST", "/api/v1/publish", json.dumps(payload).encode(),
                     {"Content-Type": "application/json", "Authorization": f"Basic {creds}"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


class UserDestinationClusterTest(unittest.TestCase):

    def setUp(self):
        self.redis = RedisProcess().start(self)
        self.nodes = [self.start_node("node-a"), self.start_node("node-b")]

    def start_node(self, node_id):
        config = default_config(
            shards=2, node={"id": node_id, "shards": 2},
            destinations={"queues": [{"pattern": "/user/*/queue/small", "max_messages": 2}]},
            cluster={"redis": {"url": self.redis.url, "channel_prefix": PREFIX}})
        config["auth"] = {"anonymous": False, "max_failures_per_minute": 1000, "users": USERS,
                          "acl": [{"destination": "/user/#", "send": ["sender"]},
                                  {"destination": "/topic/#", "subscribe": ["member", "sender"],
                                   "send": ["member", "sender"]}]}
        broker = BrokerProcess(config).start(self)
        wait_for(lambda: metric(broker, "stampede_redis_connected") == 1, 10,
                 f"{node_id} connected to redis")
        return broker

    def login(self, broker, who, transport="tcp"):
        c = broker.tcp_client(self) if transport == "tcp" else broker.ws_client(self)
        c.connect(extra=dict(who))
        return c

    def inbox(self, broker, transport="tcp", name="inbox"):
        """Alice subscribed to her queue. Its RECEIPT means her node listens on the queue's
        channel and has taken what waited in Redis: sends from any node reach her."""
        c = self.login(broker, ALICE, transport)
        c.subscribe(f"/user/queue/{name}", "in")
        return c

    def assert_quiet(self, client, broker):
        """Nothing more arrives at `client` before a marker published after."""
        client.subscribe("/topic/marker", "mk")
        marker = self.login(broker, BOB)
        marker.send("/topic/marker", b"marker", receipt=True)
        frame = client.read_frame()
        self.assertEqual((frame.command, frame.body), ("MESSAGE", b"marker"), repr(frame))

    def test_every_session_on_every_node_gets_it_once(self):
        a, b = self.nodes
        sessions = [self.inbox(a), self.inbox(b), self.inbox(b, "ws")]
        for node, body in ((a, b"from a"), (b, b"from b")):
            bob = self.login(node, BOB)
            bob.send("/user/alice/queue/inbox", body, receipt=True)
        for s in sessions:
            got = s.read_messages(2)
            self.assertEqual(sorted(m.body for m in got), [b"from a", b"from b"])
            self.assertTrue(all(m.headers["destination"] == "/user/queue/inbox" for m in got))
            self.assertTrue(all(m.headers["x-sender"] == "bob" for m in got))
        for s, node in zip(sessions, (a, b, b)):
            self.assert_quiet(s, node)

    def test_waits_in_redis_until_a_session_subscribes_anywhere(self):
        a, b = self.nodes
        bob = self.login(a, BOB)
        for n in range(3):
            bob.send("/user/alice/queue/later", f"m{n}".encode(), receipt=True)
        self.assertEqual(self.redis.command("LLEN", f"{PREFIX}:uq:/user/alice/queue/later"), 3)
        first = self.inbox(b, name="later")
        self.assertEqual([m.body for m in first.read_messages(3)], [b"m0", b"m1", b"m2"])
        wait_for(lambda: self.redis.command("EXISTS", f"{PREFIX}:uq:/user/alice/queue/later") == 0,
                 10, "the waiting list was taken")
        second = self.inbox(a, name="later")
        bob.send("/user/alice/queue/later", b"m3", receipt=True)
        self.assertEqual(first.expect("MESSAGE").body, b"m3")
        self.assertEqual(second.expect("MESSAGE").body, b"m3")
        self.assert_quiet(first, b)
        self.assert_quiet(second, a)

    def test_the_queue_bound_holds_across_the_cluster(self):
        a, b = self.nodes
        bob = self.login(a, BOB)
        bob.send("/user/alice/queue/small", b"1", receipt=True)
        other = self.login(b, BOB)
        other.send("/user/alice/queue/small", b"2", receipt=True)
        bystander = self.login(b, BOB)
        other.send("/user/alice/queue/small", b"3", headers={"receipt": "r3"})
        error = other.expect_error("queue full", receipt_id="r3")
        self.assertIn("max_messages", error.body.decode())
        bystander.send("/topic/still", b"ok", receipt=True)  # the node serves on
        alice = self.inbox(a, name="small")
        self.assertEqual([m.body for m in alice.read_messages(2)], [b"1", b"2"])

    def test_http_publish_and_the_redis_ingress_reach_other_nodes_once(self):
        a, b = self.nodes
        on_a, on_b = self.inbox(a, "ws"), self.inbox(b)
        status, body = post(b, {"destination": "/user/alice/queue/inbox", "body": "via http"},
                            "bob", "bob-pass")
        self.assertEqual(status, 202, body)
        # A backend's publish reaches every node; one of them sends it.
        self.redis.command("PUBLISH", f"{PREFIX}:publish",
                           json.dumps({"destination": "/user/alice/queue/inbox",
                                       "body": "via redis"}))
        for s in (on_a, on_b):
            self.assertEqual(sorted(m.body for m in s.read_messages(2)),
                             [b"via http", b"via redis"])
        self.assert_quiet(on_a, a)
        self.assert_quiet(on_b, b)

    def test_a_dead_redis_degrades_to_the_senders_node(self):
        a, _ = self.nodes
        alice = self.inbox(a)
        self.redis.kill()
        wait_for(lambda: metric(a, "stampede_redis_connected") == 0, 15, "node-a saw redis go")
        bob = self.login(a, BOB)
        bob.send("/user/alice/queue/inbox", b"local", receipt=True)
        self.assertEqual(alice.expect("MESSAGE").body, b"local")


if __name__ == "__main__":
    unittest.main()
