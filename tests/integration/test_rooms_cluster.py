"""Rooms on a cluster (issue 12): the redis storage backend numbers each room's messages in
Redis, so every node and every subscriber sees the same x-seq in the same order; history and
recovery through any node; a backend publish every node receives is numbered once; a dead
Redis refuses room messages clearly while other topics keep flowing locally."""

import json
import unittest

from harness import (BrokerProcess, assert_node_tests_pass, default_config, node_available,
                     wait_for)
from redis_harness import RedisProcess
from room_support import (join_all, numbers_until, publish_concurrently, seq,
                          subscribe_with_receipt)
from test_cluster import PREFIX, metric

ROOM = "/topic/room.c"


class RoomsClusterTest(unittest.TestCase):

    def setUp(self):
        self.redis = RedisProcess().start(self)
        self.nodes = [self.start_node("node-a", shards=2), self.start_node("node-b", shards=2)]

    def start_node(self, node_id, shards=1):
        config = default_config(
            shards=shards, node={"id": node_id, "shards": shards},
            destinations={"rooms": [{"pattern": "/topic/room.*",
                                     "history": {"max_messages": 50}}]},
            cluster={"redis": {"url": self.redis.url, "channel_prefix": PREFIX}})
        broker = BrokerProcess(config).start(self)
        wait_for(lambda: metric(broker, "stampede_redis_connected") == 1, 10,
                 f"{node_id} connected to redis")
        self.assertIn("redis storage", broker.output())
        return broker

    def client(self, broker, transport="tcp"):
        c = broker.tcp_client(self) if transport == "tcp" else broker.ws_client(self)
        c.connect()
        return c

    def test_every_node_sees_the_same_numbers_in_the_same_order(self):
        a, b = self.nodes
        subs = [self.client(a), self.client(b), self.client(a, "ws"), self.client(b, "ws")]
        for i, s in enumerate(subs):
            subscribe_with_receipt(s, ROOM, f"s{i}")
        pubs = [self.client(a), self.client(b), self.client(a), self.client(b)]
        per_publisher = 100
        join_all(*publish_concurrently(pubs, ROOM, per_publisher, receipts=True)[:2])
        total = per_publisher * len(pubs)
        seen = []
        for s in subs:
            messages = s.read_messages(total)
            self.assertEqual([seq(m) for m in messages], list(range(1, total + 1)))
            seen.append([m.body for m in messages])
            self.assertEqual(len({m.headers["x-epoch"] for m in messages}), 1)
        self.assertTrue(all(bodies == seen[0] for bodies in seen), "nodes disagree on order")
        # per publisher, its own order holds
        for n in range(len(pubs)):
            mine = [body for body in seen[0] if body.startswith(f"{n}-".encode())]
            self.assertEqual(mine, [f"{n}-{i}".encode() for i in range(per_publisher)])

    def test_history_and_recovery_through_the_other_node(self):
        a, b = self.nodes
        pub = self.client(a)
        for i in range(1, 11):
            pub.send(ROOM, f"m{i}".encode(), receipt=f"p{i}")
        joiner = self.client(b)
        replayed, receipt = subscribe_with_receipt(joiner, ROOM, "j", {"x-history": "4"})
        self.assertEqual([(seq(m), m.body) for m in replayed],
                         [(7, b"m7"), (8, b"m8"), (9, b"m9"), (10, b"m10")])
        self.assertTrue(all(m.headers["x-replay"] == "true" for m in replayed))
        self.assertEqual(receipt.headers["x-seq"], "10")
        epoch = receipt.headers["x-epoch"]
        pub.send(ROOM, b"live", receipt=True)
        self.assertEqual(seq(joiner.expect("MESSAGE")), 11)
        joiner.close()  # it saw up to 11
        for i in range(12, 16):
            pub.send(ROOM, f"m{i}".encode(), receipt=f"q{i}")
        back = self.client(a, "ws")
        replayed, receipt = subscribe_with_receipt(
            back, ROOM, "b", {"x-since-seq": "11", "x-epoch": epoch})
        self.assertEqual([seq(m) for m in replayed], [12, 13, 14, 15])
        self.assertEqual(receipt.headers["x-recovered"], "true")
        replayed, receipt = subscribe_with_receipt(
            back, ROOM, "c", {"x-since-seq": "11", "x-epoch": "another"})
        self.assertEqual((replayed, receipt.headers["x-recovered"]), ([], "false"))

    def test_no_gap_between_replay_and_live_while_others_publish(self):
        a, b = self.nodes
        pubs = [self.client(a), self.client(b)]
        threads, errors, _ = publish_concurrently(pubs, ROOM, 300)
        joiners = []
        for j in range(4):
            c = self.client(self.nodes[j % 2])
            c.send_frame("SUBSCRIBE", [("destination", ROOM), ("id", f"j{j}"),
                                       ("x-history", "20")])
            joiners.append(c)
        join_all(threads, errors)
        for c in joiners:
            numbers = numbers_until(c, 600)
            self.assertEqual(numbers, list(range(numbers[0], 601)))

    def test_a_backend_publish_is_numbered_once_for_the_cluster(self):
        a, b = self.nodes
        sa, sb = self.client(a), self.client(b)
        subscribe_with_receipt(sa, ROOM, "a")
        subscribe_with_receipt(sb, ROOM, "b")
        self.redis.command("PUBLISH", f"{PREFIX}:publish",
                           json.dumps({"destination": ROOM, "body": "from laravel"}))
        for s in (sa, sb):
            first = s.expect("MESSAGE")
            self.assertEqual((seq(first), first.body), (1, b"from laravel"))
        # Both nodes ran the script for it: had both numbered it, 2 would be a copy.
        pub = self.client(a)
        pub.send(ROOM, b"after", receipt=True)
        for s in (sa, sb):
            second = s.expect("MESSAGE")
            self.assertEqual((seq(second), second.body), (2, b"after"))

    def test_a_dead_redis_refuses_room_messages_and_other_topics_go_on(self):
        a, _ = self.nodes
        sub = self.client(a)
        sub.subscribe("/topic/plain", "p")
        self.redis.kill()
        wait_for(lambda: metric(a, "stampede_redis_connected") == 0, 10, "node-a sees redis gone")
        pub = self.client(a)
        pub.send("/topic/plain", b"local", receipt=True)
        self.assertEqual(sub.expect("MESSAGE").body, b"local")
        pub.send_frame("SEND", [("destination", ROOM), ("receipt", "lost")], b"nowhere")
        pub.expect_error("storage unavailable", receipt_id="lost")
        self.assertEqual(metric(a, "stampede_room_storage_errors_total"), 1)
        a.wait_log_count(r"storage: a room message was refused: Redis is not connected", 1)
        self.assert_sub_alive(sub)
        # Redis back (empty: its history is gone): room messages flow again, in a new epoch.
        self.redis.start(self)
        wait_for(lambda: metric(a, "stampede_redis_connected") == 1, 20, "node-a reconnected")
        watcher = self.client(a)
        subscribe_with_receipt(watcher, ROOM, "w")
        again = self.client(a)
        again.send(ROOM, b"back", receipt=True)
        self.assertEqual((seq(watcher.expect("MESSAGE")), ), (1, ))

    def test_stompjs_on_two_nodes(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)
        a, b = self.nodes
        assert_node_tests_pass(self, "stompjs_rooms_cluster.scenario.mjs",
                               {"STAMPEDE_WS_URL": a.ws_url, "STAMPEDE_WS_URL_B": b.ws_url})

    def assert_sub_alive(self, sub):
        other = self.client(self.nodes[0])
        other.send("/topic/plain", b"again", receipt=True)
        self.assertEqual(sub.expect("MESSAGE").body, b"again")


if __name__ == "__main__":
    unittest.main()
