"""Presence on a cluster (issue 13): members are the cluster's, kept in Redis and mirrored on
every node: a user with tabs on two nodes is one member; every node announces the same enters
and leaves and stamps the same x-user-count; a /stampede/presence/ snapshot on one node lists
the members of the others; a SIGKILLed node's members leave within presence.node_ttl_s + 1 s;
a Redis pause shorter than that causes no leave/enter flapping; anonymous sessions of two
nodes are two members."""

import json
import time
import unittest

from harness import BrokerProcess, default_config, wait_for
from redis_harness import RedisProcess
from room_support import subscribe_with_receipt
from test_cluster import PREFIX, metric

USERS = ["alice", "bob", "carol", "dave"]
TTL_S = 2
ROOM = "/topic/room.c"


class PresenceClusterTest(unittest.TestCase):

    def setUp(self):
        self.redis = RedisProcess().start(self)
        self.nodes = [self.start_node("node-a", shards=2), self.start_node("node-b", shards=2)]

    def start_node(self, node_id, shards=1):
        config = default_config(
            shards=shards, node={"id": node_id, "shards": shards},
            destinations={"rooms": [{"pattern": "/topic/room.*",
                                     "presence": {"enabled": True, "node_ttl_s": TTL_S,
                                                  "ephemeral_per_s": 0}}]},
            auth={"anonymous": True,
                  "users": [{"login": u, "passcode": "pw", "roles": ["member"]}
                            for u in USERS]},
            cluster={"redis": {"url": self.redis.url, "channel_prefix": PREFIX,
                               "ping_interval_ms": 200, "ping_timeout_ms": 1000}})
        broker = BrokerProcess(config).start(self)
        wait_for(lambda: metric(broker, "stampede_redis_connected") == 1, 10,
                 f"{node_id} connected to redis")
        return broker

    def user(self, broker, name=None):
        c = broker.tcp_client(self)
        if name is None:
            c.connect()
        else:
            c.connect(extra={"login": name, "passcode": "pw"})
        return c

    def notice(self, client, event, user, count, timeout=10):
        frame = client.expect("MESSAGE", timeout=timeout)
        self.assertEqual(frame.headers.get("x-presence"), event, frame)
        self.assertEqual(frame.headers.get("x-user"), user, frame)
        self.assertEqual(frame.headers.get("x-user-count"), str(count), frame)
        self.assertNotIn("x-seq", frame.headers)
        return frame

    def message(self, client, body, count):
        frame = client.expect("MESSAGE")
        self.assertNotIn("x-presence", frame.headers, frame)
        self.assertEqual(frame.body, body)
        self.assertEqual(frame.headers.get("x-user-count"), str(count), frame)

    def test_tabs_on_two_nodes_are_one_member_and_every_node_agrees(self):
        a, b = self.nodes
        bob = self.user(a, "bob")
        bob.subscribe(ROOM, "w")
        self.notice(bob, "enter", "bob", 1)
        carol = self.user(b, "carol")
        carol.subscribe(ROOM, "w")
        for watcher in (bob, carol):
            self.notice(watcher, "enter", "carol", 2)
        tab_a, tab_b = self.user(a, "alice"), self.user(b, "alice")
        tab_a.subscribe(ROOM, "t")
        for watcher in (bob, carol):
            frame = self.notice(watcher, "enter", "alice", 3)
            self.assertEqual(json.loads(frame.body),
                             {"event": "enter", "user": "alice", "count": 3})
        tab_b.subscribe(ROOM, "t")  # the same member on the other node: no enter
        tab_b.send(ROOM, b"from b", receipt=True)
        for watcher in (bob, carol):
            self.message(watcher, b"from b", 3)
        tab_a.unsubscribe("t")  # still in the room on node b: no leave
        tab_a.send(ROOM, b"from a", receipt=True)
        for watcher in (bob, carol):
            self.message(watcher, b"from a", 3)
        tab_b.disconnect()
        for watcher in (bob, carol):
            self.notice(watcher, "leave", "alice", 2)
        wait_for(lambda: all(metric(n, "stampede_room_presence_cluster_members") == 2
                             for n in self.nodes), 5, "both mirrors count 2")

    def test_a_snapshot_on_one_node_lists_the_others_members(self):
        a, b = self.nodes
        alice, bob = self.user(a, "alice"), self.user(b, "bob")
        alice.subscribe(ROOM, "t")
        bob.subscribe(ROOM, "t")
        self.notice(alice, "enter", "alice", 1)
        self.notice(alice, "enter", "bob", 2)
        watcher = self.user(a, "carol")
        replayed, _ = subscribe_with_receipt(watcher, "/stampede/presence" + ROOM, "p")
        frames = replayed or [watcher.expect("MESSAGE")]
        snapshot = frames[0]
        self.assertEqual(snapshot.headers.get("x-presence"), "snapshot")
        self.assertEqual(json.loads(snapshot.body)["users"], ["alice", "bob"])
        dave = self.user(b, "dave")
        dave.subscribe(ROOM, "t")
        event = watcher.expect("MESSAGE")
        self.assertEqual((event.headers.get("x-presence"), event.headers.get("x-user")),
                         ("enter", "dave"))

    def test_a_killed_nodes_members_leave_within_its_ttl(self):
        a, b = self.nodes
        watcher = self.user(a, "bob")
        watcher.subscribe(ROOM, "w")
        self.notice(watcher, "enter", "bob", 1)
        gone = self.user(b, "alice")
        gone.subscribe(ROOM, "t")
        self.notice(watcher, "enter", "alice", 2)
        b.expect_exit = True
        killed = time.monotonic()
        b.proc.kill()
        self.notice(watcher, "leave", "alice", 1, timeout=TTL_S + 5)
        elapsed = time.monotonic() - killed
        print(f"leave seen {elapsed:.2f} s after SIGKILL (node_ttl_s {TTL_S})")
        self.assertLessEqual(elapsed, TTL_S + 1)
        self.assertGreaterEqual(elapsed, TTL_S - 0.6)  # not before the node's time is up

    def test_a_redis_pause_shorter_than_the_ttl_causes_no_flapping(self):
        a, b = self.nodes
        watcher = self.user(a, "bob")
        watcher.subscribe(ROOM, "w")
        self.notice(watcher, "enter", "bob", 1)
        remote = self.user(b, "alice")
        remote.subscribe(ROOM, "t")
        self.notice(watcher, "enter", "alice", 2)
        self.redis.pause()
        time.sleep(TTL_S * 0.6)
        self.redis.resume()
        wait_for(lambda: all(metric(n, "stampede_redis_connected") == 1 for n in self.nodes),
                 10, "both nodes connected again")
        time.sleep(1.5)  # a few heartbeats and reaps after the pause
        remote.send(ROOM, b"after the pause", receipt=True)
        self.message(watcher, b"after the pause", 2)  # no leave, no enter came before it

    def test_anonymous_sessions_of_two_nodes_are_two_members(self):
        a, b = self.nodes
        first, second = self.user(a), self.user(b)
        first.subscribe(ROOM, "t")
        enter = first.expect("MESSAGE")
        self.assertEqual(enter.headers.get("x-user-count"), "1")
        second.subscribe(ROOM, "t")
        frame = first.expect("MESSAGE")
        self.assertEqual(frame.headers.get("x-presence"), "enter")
        self.assertEqual(frame.headers.get("x-user-count"), "2")
        self.assertNotEqual(frame.headers.get("x-user"), enter.headers.get("x-user"))
        self.assertTrue(frame.headers.get("x-user").endswith("@node-b"), frame)


if __name__ == "__main__":
    unittest.main()
