"""Rooms, part 1 (DESIGN.md "Rooms"): x-seq/x-epoch on every room message from every way in,
history on SUBSCRIBE (x-history), recovery (x-since-seq + x-epoch, the RECEIPT's x-recovered),
no gap and no duplicate between replay and live messages while others publish, {capture}
patterns, wildcard subscriptions live only, the ACL, bad headers; and the same through
@stomp/stompjs (tests/interop/stompjs_history.scenario.mjs)."""

import base64
import http.client
import json
import os
import random
import signal
import tempfile
import threading
import unittest

from redis_harness import RedisProcess
from test_cluster import metric
from harness import (BrokerProcess, BrokerTestCase, assert_node_tests_pass, deadline_s,
                     default_config, node_available)
from room_support import (join_all, numbers_until, publish_concurrently, seq,
                          subscribe_with_receipt)

ROOMS = [{"pattern": "/topic/room.*", "history": {"max_messages": 50, "max_age_s": 3600}},
         {"pattern": "/topic/chat/room/{id}", "history": {"max_messages": 5}},
         {"pattern": "/topic/durable.*", "history": {"max_messages": 10000}}]


def rooms_config(shards=2, **extra):
    return default_config(shards=shards, destinations={"rooms": ROOMS}, **extra)


class RoomContract:
    """What every storage backend must do the same (DESIGN.md "Rooms"): run against memory,
    file and a real redis-server by the TestCases below."""

    storage = {}  # destinations and limits alike; the backend differs

    def config(self):
        return rooms_config(http={"publish": "/api/v1/publish"},
                            auth={"anonymous": True,
                                  "users": [{"login": "backend", "passcode": "pw",
                                             "roles": ["publisher"]}]},
                            **self.storage_config())

    def storage_config(self):
        return {}

    def test_every_room_message_is_numbered_with_the_epoch(self):
        sub = self.client()
        sub.subscribe("/topic/room.a", "s")
        plain = self.client()
        plain.subscribe("/topic/news", "n")
        pub = self.client(transport="ws")
        for i in range(5):
            pub.send("/topic/room.a", f"m{i}".encode(), headers={"x-seq": "999"})
        pub.send("/topic/news", b"not a room", headers={"x-seq": "999"})
        messages = sub.read_messages(5)
        self.assertEqual([seq(m) for m in messages], [1, 2, 3, 4, 5])
        epochs = {m.headers["x-epoch"] for m in messages}
        self.assertEqual(len(epochs), 1)
        self.assertRegex(epochs.pop(), r"^[0-9a-f]{16}$")
        news = plain.expect("MESSAGE")
        self.assertNotIn("x-seq", news.headers)  # reserved: a client cannot set it
        self.assertNotIn("x-epoch", news.headers)

    def test_history_on_join_then_live_in_order(self):
        pub = self.client()
        for i in range(1, 8):
            pub.send("/topic/room.h", f"m{i}".encode())
        pub.sync()
        sub = self.client(transport="ws")
        replayed, receipt = subscribe_with_receipt(sub, "/topic/room.h", "h",
                                                        {"x-history": "3"})
        self.assertEqual([(seq(m), m.body) for m in replayed],
                         [(5, b"m5"), (6, b"m6"), (7, b"m7")])
        self.assertTrue(all(m.headers["x-replay"] == "true" for m in replayed))
        self.assertEqual(receipt.headers["x-seq"], "7")
        self.assertEqual(receipt.headers["x-epoch"], replayed[0].headers["x-epoch"])
        self.assertNotIn("x-recovered", receipt.headers)
        pub.send("/topic/room.h", b"live")
        live = sub.expect("MESSAGE")
        self.assertEqual((seq(live), live.body), (8, b"live"))
        self.assertNotIn("x-replay", live.headers)

    def test_recovery_after_a_reconnect(self):
        pub = self.client()
        sub = self.client()
        sub.subscribe("/topic/room.r", "r")
        for i in range(1, 11):
            pub.send("/topic/room.r", f"m{i}".encode())
        seen = sub.read_messages(10)
        epoch = seen[-1].headers["x-epoch"]
        last_seen = seq(seen[5])  # the client saw up to 6 before its network dropped
        sub.close()
        for i in range(11, 14):
            pub.send("/topic/room.r", f"m{i}".encode())
        pub.sync()
        back = self.client(transport="ws")
        replayed, receipt = subscribe_with_receipt(
            back, "/topic/room.r", "r2", {"x-since-seq": str(last_seen), "x-epoch": epoch})
        self.assertEqual([seq(m) for m in replayed], list(range(7, 14)))
        self.assertEqual(receipt.headers["x-recovered"], "true")
        self.assertEqual(receipt.headers["x-seq"], "13")
        # too old: the room keeps 50; a wrong epoch: nothing replayed
        for i in range(60):
            pub.send("/topic/room.r", b"more")
        pub.sync()
        late = self.client()
        replayed, receipt = subscribe_with_receipt(
            late, "/topic/room.r", "r3", {"x-since-seq": "2", "x-epoch": epoch})
        self.assertEqual(receipt.headers["x-recovered"], "false")
        self.assertEqual([seq(m) for m in replayed], list(range(24, 74)))
        replayed, receipt = subscribe_with_receipt(
            late, "/topic/room.r", "r4", {"x-since-seq": "70", "x-epoch": "0000000000000000"})
        self.assertEqual((receipt.headers["x-recovered"], replayed), ("false", []))

    def test_no_gap_and_no_duplicate_while_others_publish(self):
        # Publishers on both shards; subscribers join with history at random moments; each
        # must see consecutive numbers from its first replayed message to the end.
        total_per_publisher, publishers = 400, 4
        pubs = [self.client(transport=("tcp", "ws")[i % 2]) for i in range(publishers)]
        joiners = [self.client(transport=("tcp", "ws")[i % 2]) for i in range(6)]
        threads, errors, _ = publish_concurrently(pubs, "/topic/room.busy", total_per_publisher)
        rng = random.Random(7)
        for j, joiner in enumerate(joiners):
            threading.Event().wait(rng.uniform(0.0, 0.05))
            joiner.send_frame("SUBSCRIBE", [("destination", "/topic/room.busy"), ("id", f"j{j}"),
                                            ("x-history", "20")])
        join_all(threads, errors)
        total = total_per_publisher * publishers
        for joiner in joiners:
            numbers = numbers_until(joiner, total)
            self.assertEqual(numbers, list(range(numbers[0], total + 1)),
                             "a gap or a duplicate between replay and live")

    def test_every_subscriber_sees_numbers_in_order_with_publishers_on_both_shards(self):
        # Each shard numbers messages while others' numbered ones wait in its inbox: a shard
        # must not deliver its own number n+1 before the n another shard gave it.
        subs = [self.client(transport=("tcp", "ws")[i % 2]) for i in range(6)]
        for i, s in enumerate(subs):
            s.subscribe("/topic/room.order", f"o{i}")
        pubs = [self.client(transport=("tcp", "ws")[i % 2]) for i in range(6)]
        join_all(*publish_concurrently(pubs, "/topic/room.order", 1500)[:2])
        for s in subs:
            numbers = numbers_until(s, 9000)
            self.assertEqual(numbers, list(range(1, 9001)), "out of order or missing")

    def test_capture_patterns_and_wildcard_subscriptions(self):
        pub = self.client()
        for i in range(7):
            pub.send("/topic/chat/room/42", f"c{i}".encode())
        pub.send("/topic/chat/room/43", b"other room")
        pub.sync()
        sub = self.client()
        replayed, receipt = subscribe_with_receipt(sub, "/topic/chat/room/42", "c",
                                                        {"x-history": "100"})
        self.assertEqual([seq(m) for m in replayed], [3, 4, 5, 6, 7])  # it keeps 5
        self.assertEqual(receipt.headers["x-seq"], "7")
        wild = self.client()
        replayed, receipt = subscribe_with_receipt(wild, "/topic/room.*", "w",
                                                        {"x-history": "10"})
        self.assertEqual(replayed, [])  # wildcard subscriptions: live only
        self.assertNotIn("x-seq", receipt.headers)
        pub.send("/topic/room.w", b"live")
        self.assertEqual(seq(wild.expect("MESSAGE")), 1)

    def test_http_publish_is_numbered_too(self):
        sub = self.client()
        sub.subscribe("/topic/room.http", "s")
        pub = self.client()
        # with a receipt: the STOMP message is numbered before the HTTP one is sent (two
        # connections, possibly two shards: nothing else orders them)
        pub.send("/topic/room.http", b"by stomp", receipt=True)
        creds = base64.b64encode(b"backend:pw").decode()
        conn = http.client.HTTPConnection("127.0.0.1", self.broker.ws_port, timeout=deadline_s(10))
        try:
            conn.request("POST", "/api/v1/publish",
                         body=json.dumps({"destination": "/topic/room.http", "body": "by http"}),
                         headers={"Content-Type": "application/json",
                                  "Authorization": f"Basic {creds}"})
            self.assertEqual(conn.getresponse().status, 202)
        finally:
            conn.close()
        messages = sub.read_messages(2)
        self.assertEqual([(seq(m), m.body) for m in messages], [(1, b"by stomp"), (2, b"by http")])

    def test_bad_history_headers_are_errors_and_nothing_else_breaks(self):
        by = self.bystander()
        for header, value in (("x-history", "-1"), ("x-history", "ten"), ("x-since-seq", ""),
                              ("x-since-seq", "1e3")):
            c = self.client()
            c.send_frame("SUBSCRIBE", [("destination", "/topic/room.x"), ("id", "b"),
                                       (header, value), ("receipt", "bad")])
            c.expect_error("bad history header", receipt_id="bad")
        self.assert_still_works(by)

class RoomsMemoryTest(RoomContract, BrokerTestCase):
    """The memory backend, and what only it does."""

    def test_metrics_count_numbered_and_kept_messages(self):
        pub = self.client()
        for i in range(5):
            pub.send("/topic/room.metrics", f"m{i}".encode(), receipt=f"r{i}")
        self.assertEqual(metric(self.broker, "stampede_room_messages_numbered_total"), 5)
        self.assertEqual(metric(self.broker, "stampede_room_history_messages"), 5)
        self.assertEqual(metric(self.broker, "stampede_room_storage_errors_total"), 0)

    def test_rooms_are_restart_only_a_reload_keeps_them(self):
        pub = self.client()
        pub.send("/topic/room.keep", b"one", receipt=True)
        changed = self.config()
        changed["destinations"] = {"rooms": [{"pattern": "/topic/other.*"}]}
        self.broker.write_config(changed)
        self.broker.signal(signal.SIGHUP)
        self.broker.wait_log_count(r"destinations.rooms changed: rooms are restart-only", 1)
        self.broker.wait_log_count(r"config reloaded", 1)
        sub = self.client()
        replayed, receipt = subscribe_with_receipt(sub, "/topic/room.keep", "k",
                                                        {"x-history": "5"})
        self.assertEqual([(seq(m), m.body) for m in replayed], [(1, b"one")])
        pub.send("/topic/other.x", b"not a room", receipt=True)
        plain = self.client()
        plain.subscribe("/topic/other.x", "o")
        pub.send("/topic/other.x", b"still not", receipt=True)
        self.assertNotIn("x-seq", plain.expect("MESSAGE").headers)

    def test_memory_history_is_gone_after_a_restart_and_the_epoch_says_so(self):
        pub = self.client()
        sub = self.client()
        sub.subscribe("/topic/room.m", "m")
        pub.send("/topic/room.m", b"before")
        epoch = sub.expect("MESSAGE").headers["x-epoch"]
        pub.close()
        sub.close()
        self.broker.stop(self)
        self.broker = BrokerProcess(self.config()).start(self)
        back = self.client()
        replayed, receipt = subscribe_with_receipt(
            back, "/topic/room.m", "m2", {"x-since-seq": "1", "x-epoch": epoch})
        self.assertEqual(replayed, [])
        self.assertEqual(receipt.headers["x-recovered"], "false")
        self.assertNotEqual(receipt.headers["x-epoch"], epoch)
        self.assertEqual(receipt.headers["x-seq"], "0")


class RoomsFileBackendTest(RoomContract, BrokerTestCase):
    """The file backend: every message that got a RECEIPT is there after kill -9, in order,
    with the same x-seq and epoch; numbering goes on from there."""

    def setUp(self):
        self.storage_dir = tempfile.TemporaryDirectory(prefix="stampede-rooms-")
        self.addCleanup(self.storage_dir.cleanup)
        super().setUp()

    def storage_config(self):
        return {"storage": {"backend": "file", "path": self.storage_dir.name,
                            "fsync": "interval_ms", "fsync_interval_ms": 100}}

    def test_every_receipted_message_survives_kill_9(self):
        pubs = [self.client(transport=("tcp", "ws")[i % 2]) for i in range(4)]
        threads, errors, receipted = publish_concurrently(pubs, "/topic/durable.k", 250,
                                                          receipts=True)
        join_all(threads, errors)
        watcher = self.client()
        replayed, receipt = subscribe_with_receipt(watcher, "/topic/durable.k", "w",
                                                             {"x-history": "10000"})
        before = [(seq(m), m.body) for m in replayed]
        epoch = receipt.headers["x-epoch"]
        self.assertEqual(len(before), 1000)
        self.broker.expect_exit = True
        self.broker.proc.kill()  # kill -9: no drain, no final sync
        self.broker.proc.wait(timeout=10)
        for c in pubs + [watcher]:
            c.close()
        self.broker = BrokerProcess(self.config()).start(self)
        self.assertRegex(self.broker.output(), r"rooms: .* file storage, epoch " + epoch)
        back = self.client(transport="ws")
        replayed, receipt = subscribe_with_receipt(
            back, "/topic/durable.k", "b", {"x-since-seq": "0", "x-epoch": epoch})
        self.assertEqual(receipt.headers["x-recovered"], "true")
        self.assertEqual([(seq(m), m.body) for m in replayed], before)
        self.assertEqual(set(receipted), {body for _, body in before})
        pub = self.client()
        pub.send("/topic/durable.k", b"after", receipt=True)
        self.assertEqual(seq(back.expect("MESSAGE")), 1001)

    def test_stompjs_messages_survive_kill_9(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)
        state = os.path.join(self.storage_dir.name, "scenario-state.json")
        script = "stompjs_rooms_restart.scenario.mjs"
        assert_node_tests_pass(self, script, {"STAMPEDE_WS_URL": self.broker.ws_url,
                                              "STAMPEDE_PHASE": "before", "STAMPEDE_STATE": state})
        self.broker.expect_exit = True
        self.broker.proc.kill()
        self.broker.proc.wait(timeout=10)
        self.broker = BrokerProcess(self.config()).start(self)
        assert_node_tests_pass(self, script, {"STAMPEDE_WS_URL": self.broker.ws_url,
                                              "STAMPEDE_PHASE": "after", "STAMPEDE_STATE": state})

    def test_a_second_broker_on_the_same_folder_is_refused(self):
        second = BrokerProcess(self.config())
        second.expect_exit = True
        second.start(self, wait=False)
        second.wait_log_count(r"storage: storage.path .*in use by another process", 1)
        self.assertIsNotNone(second.wait_exit(deadline_s(10)), "a second broker started")
        self.assert_still_works(self.bystander())


class RoomsRedisBackendTest(RoomContract, BrokerTestCase):
    """The redis backend on one node against a real redis-server (two nodes:
    test_rooms_cluster.py)."""

    def setUp(self):
        self.redis = RedisProcess().start(self)
        super().setUp()

    def storage_config(self):
        return {"cluster": {"redis": {"url": self.redis.url}}}  # redis: the default there


class RoomsAclTest(BrokerTestCase):
    """The ACL decides: a replay needs subscribe on the room."""

    def config(self):
        return rooms_config(auth={"anonymous": True, "acl": [
            {"destination": "/topic/room.secret", "subscribe": [], "send": ["anonymous"]},
            {"destination": "/topic/#", "subscribe": ["anonymous"], "send": ["anonymous"]}]})

    def test_history_of_a_room_one_may_not_subscribe_to_is_refused(self):
        by = self.bystander()
        pub = self.client()
        pub.send("/topic/room.secret", b"classified", receipt=True)
        c = self.client()
        c.send_frame("SUBSCRIBE", [("destination", "/topic/room.secret"), ("id", "s"),
                                   ("x-history", "10"), ("receipt", "no")])
        error = c.expect_error("access denied", receipt_id="no")
        self.assertNotIn(b"classified", error.body)
        self.assertEqual([f for f in c.pending if f.command == "MESSAGE"], [])
        self.assert_still_works(by)


class RoomsStompJsTest(BrokerTestCase):
    """@stomp/stompjs: history on join, recovery after a reconnect, recovery refused."""

    def config(self):
        return rooms_config()

    def setUp(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)
        super().setUp()

    def test_stompjs_history_and_recovery(self):
        assert_node_tests_pass(self, "stompjs_history.scenario.mjs",
                               {"STAMPEDE_WS_URL": self.broker.ws_url})

if __name__ == "__main__":
    unittest.main()
