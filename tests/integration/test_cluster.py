"""Several nodes joined by a real redis-server (issue #4): exactly-once cross-node delivery in
order, interest-driven (P)SUBSCRIBE, receipts after Redis confirmed, Redis killed, restarted
and SIGSTOPped, backend publishes through Redis, a node SIGKILLed."""

import json
import re
import time
import unittest

from harness import BrokerProcess, default_config, deadline_s, wait_for
from redis_harness import RedisProcess

PREFIX = "stampede"


def metric(broker, name):
    status, body = broker.http_get("/metrics")
    if status != 200:
        raise AssertionError(f"/metrics answered {status}")
    m = re.search(rf"^{re.escape(name)} (\d+)$", body.decode(), re.M)
    if m is None:
        raise AssertionError(f"{name} missing from /metrics")
    return int(m.group(1))


class ClusterTestCase(unittest.TestCase):
    nodes = 3
    redis_settings = {}

    def setUp(self):
        self.redis = RedisProcess().start(self)
        self.brokers = [self.start_node(f"node-{chr(ord('a') + i)}") for i in range(self.nodes)]

    def start_node(self, node_id, shards=1):
        config = default_config(shards=shards, node={"id": node_id, "shards": shards},
                                cluster={"redis": {"url": self.redis.url,
                                                   "channel_prefix": PREFIX,
                                                   **self.redis_settings}})
        broker = BrokerProcess(config).start(self)
        wait_for(lambda: metric(broker, "stampede_redis_connected") == 1, 10,
                 f"{node_id} connected to redis")
        return broker

    def client(self, broker):
        c = broker.tcp_client(self)
        c.connect()
        return c

    def numsub(self, channel):
        reply = self.redis.command("PUBSUB", "NUMSUB", channel)
        return int(reply[1])

    def numpat(self):
        return int(self.redis.command("PUBSUB", "NUMPAT"))


class CrossNodeTest(ClusterTestCase):
    def test_each_subscription_gets_each_message_once_in_order(self):
        a, b, c = self.brokers
        pub = self.client(a)
        subs = []
        for broker in (a, b, c):
            s = self.client(broker)
            s.subscribe("/topic/chat.1", "exact")
            subs.append(s)
        # Node C holds an exact and two overlapping wildcards on one connection: Redis sends it
        # `message` and `pmessage` copies, and each subscription must still see each once.
        multi = subs[2]
        multi.subscribe("/topic/chat.*", "star")
        multi.subscribe("/topic/chat.#", "hash")
        other = self.client(b)
        other.subscribe("/topic/other", "o")
        n = 150
        for i in range(n):
            pub.send("/topic/chat.1", f"m{i}".encode())
        pub.send("/topic/chat", b"root", receipt=True)  # only chat.# matches
        for s in subs[:2]:
            got = s.read_messages(n)
            self.assertEqual([m.body for m in got], [f"m{i}".encode() for i in range(n)])
        got = multi.read_messages(3 * n + 1, timeout=20)
        by_sub = {}
        for m in got:
            by_sub.setdefault(m.headers["subscription"], []).append(m.body)
        expected = [f"m{i}".encode() for i in range(n)]
        self.assertEqual(by_sub["exact"], expected)
        self.assertEqual(by_sub["star"], expected)
        self.assertEqual(by_sub["hash"], expected + [b"root"])
        # Nothing extra, and nothing for the unrelated destination.
        pub.send("/topic/chat.marker", b"end", receipt=True)
        self.assertEqual(multi.expect("MESSAGE").body, b"end")
        self.assertEqual(multi.expect("MESSAGE").body, b"end")
        self.assertIsNone(other.try_read_frame(0.2))
        for s in subs[:2]:
            self.assertIsNone(s.try_read_frame(0.1))

    def test_receipt_means_the_first_message_is_not_lost(self):
        a, b, _ = self.brokers
        pub = self.client(a)
        for i in range(5):
            s = self.client(b)
            dest = f"/topic/fresh.{i}"
            s.subscribe(dest, "s")  # waits for the RECEIPT
            pub.send(dest, b"first")
            self.assertEqual(s.expect("MESSAGE", timeout=5).body, b"first")
            s.close()

    def test_interest_is_exact_and_goes_away(self):
        a, b, c = self.brokers
        channel = f"{PREFIX}:t:/topic/interest.x"
        s1, s2 = self.client(a), self.client(b)
        s1.subscribe("/topic/interest.x", "1")
        s2.subscribe("/topic/interest.x", "2")
        extra = self.client(b)
        extra.subscribe("/topic/interest.x", "3")  # second on node b: still one Redis sub
        self.assertEqual(self.numsub(channel), 2)
        base = self.numpat()
        w = self.client(c)
        w.subscribe("/topic/interest.*", "w")
        self.assertEqual(self.numpat(), base + 1)
        s1.unsubscribe("1")
        wait_for(lambda: self.numsub(channel) == 1, 1, "node a's channel to go")
        s2.unsubscribe("2")
        self.assertEqual(self.numsub(channel), 1)
        extra.close()
        wait_for(lambda: self.numsub(channel) == 0, 1, "the channel to disappear")
        w.disconnect()
        wait_for(lambda: self.numpat() == base, 1, "the pattern to disappear")

    def test_backend_publish_through_redis(self):
        a, b, _ = self.brokers
        sa, sb = self.client(a), self.client(b)
        sa.subscribe("/topic/news", "n")
        sb.subscribe("/topic/news", "n")
        self.redis.command("PUBLISH", f"{PREFIX}:publish", "not json")
        self.redis.command("PUBLISH", f"{PREFIX}:publish", json.dumps([1, 2]))
        self.redis.command("PUBLISH", f"{PREFIX}:publish", json.dumps(
            {"destination": "/topic/news", "body": "hello", "headers": {"k": "v"}}))
        self.redis.command("PUBLISH", f"{PREFIX}:publish", json.dumps(
            {"destination": "/topic/news", "body_base64": "AAEC"}))
        for s in (sa, sb):
            m = s.expect("MESSAGE")
            self.assertEqual(m.body, b"hello")
            self.assertEqual(m.headers["k"], "v")
            self.assertEqual(s.expect("MESSAGE").body, b"\x00\x01\x02")

    def test_a_node_killed_leaves_the_others_working(self):
        a, b, c = self.brokers
        sc = self.client(c)
        sc.subscribe("/topic/after.kill", "k")
        b.expect_exit = True
        b.proc.kill()
        b.proc.wait(timeout=10)
        pub = self.client(a)
        pub.send("/topic/after.kill", b"still", receipt=True)
        self.assertEqual(sc.expect("MESSAGE").body, b"still")


SECRET = "cluster-test-secret-0123456789abcdef"


def hs256_token(claims):
    import base64
    import hashlib
    import hmac

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=")
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(SECRET.encode(), head + b"." + body, hashlib.sha256).digest())
    return (head + b"." + body + b"." + sig).decode()


class ClusterRevocationTest(ClusterTestCase):
    nodes = 2

    def start_node(self, node_id, shards=1):
        config = default_config(
            shards=shards, node={"id": node_id, "shards": shards},
            cluster={"redis": {"url": self.redis.url, "channel_prefix": PREFIX}},
            auth={"anonymous": True, "jwt": [{"name": "members", "algorithms": ["HS256"],
                                               "keys": {"secret": SECRET}}]})
        broker = BrokerProcess(config).start(self)
        wait_for(lambda: metric(broker, "stampede_redis_connected") == 1, 10,
                 f"{node_id} connected to redis")
        return broker

    def test_a_logout_on_one_node_reaches_every_node(self):
        a, b = self.brokers
        token = hs256_token({"sub": "alice", "jti": "session-42",
                             "exp": int(time.time()) + 600})
        live = b.tcp_client(self)
        live.connect(extra={"Authorization": f"Bearer {token}"})
        self.redis.command("SADD", f"{PREFIX}:revoked", "session-42")
        live.expect_error("token revoked", timeout=3)
        again = a.tcp_client(self)
        again.connect(extra={"Authorization": f"Bearer {token}"}, expect_connected=False)
        again.expect_error("token revoked", timeout=3)
        other = hs256_token({"sub": "bob", "jti": "session-43", "exp": int(time.time()) + 600})
        fine = a.tcp_client(self)
        fine.connect(extra={"Authorization": f"Bearer {other}"})


class RedisOutageTest(ClusterTestCase):
    nodes = 2

    def publish_batch(self, pub, dest, start, count):
        # The last one asks for a receipt: no other message may be published here, because
        # the lost counter is node-wide.
        for i in range(start, start + count):
            pub.send(dest, f"{i}".encode(), receipt=i == start + count - 1)

    def test_redis_killed_and_restarted(self):
        a, b = self.brokers
        dest = "/topic/outage"
        pub, local, remote = self.client(a), self.client(a), self.client(b)
        local.subscribe(dest, "l")
        remote.subscribe(dest, "r")
        self.publish_batch(pub, dest, 0, 100)
        self.assertEqual(len(remote.read_messages(100)), 100)

        self.redis.kill()
        wait_for(lambda: metric(a, "stampede_redis_connected") == 0, 5, "node a to see the outage")
        self.publish_batch(pub, dest, 100, 100)  # delivered locally, counted lost
        self.assertEqual([int(m.body) for m in local.read_messages(200)], list(range(200)))

        self.redis.start()
        for broker in (a, b):
            wait_for(lambda: metric(broker, "stampede_redis_connected") == 1, 15, "reconnect")
        # Both nodes have a subscriber (a: `local`, b: `remote`): both must re-subscribe.
        wait_for(lambda: self.numsub(f"{PREFIX}:t:{dest}") == 2, 10, "both nodes to re-subscribe")
        self.publish_batch(pub, dest, 200, 100)
        self.assertEqual([int(m.body) for m in local.read_messages(100)], list(range(200, 300)))
        got = [int(m.body) for m in remote.read_messages(100)]
        self.assertEqual(got, list(range(200, 300)))
        self.assertIsNone(remote.try_read_frame(0.2))
        lost = metric(a, "stampede_relay_lost_total")
        received = 200
        self.assertEqual(received + lost, 300)
        self.assertEqual(metric(b, "stampede_relay_received_total"), received)

    def test_redis_stopped_does_not_stall_local_traffic(self):
        a, b = self.brokers
        pub, local = self.client(a), self.client(a)
        local.subscribe("/topic/stall", "l")
        self.redis.pause()
        try:
            end = time.monotonic() + 10
            i = 0
            while time.monotonic() < end:
                started = time.monotonic()
                pub.send("/topic/stall", f"{i}".encode())
                self.assertEqual(local.expect("MESSAGE", timeout=1).body, f"{i}".encode())
                self.assertLess(time.monotonic() - started, deadline_s(0.5))
                i += 1
                time.sleep(0.05)
            self.assertTrue(re.search(r"redis: (no answer|subscriber silent)", a.output()),
                            "the watchdog noticed the hung Redis")
        finally:
            self.redis.resume()
        for broker in (a, b):
            wait_for(lambda: metric(broker, "stampede_redis_connected") == 1, 15, "reconnect")
        remote = self.client(b)
        remote.subscribe("/topic/stall.after", "r")
        pub.send("/topic/stall.after", b"back")
        self.assertEqual(remote.expect("MESSAGE", timeout=5).body, b"back")


class RelayOverflowTest(ClusterTestCase):
    """cluster.redis.max_pending_bytes bounds what waits for a Redis that does not answer."""

    nodes = 1
    redis_settings = {"max_pending_bytes": 4096}

    def test_unanswered_publishes_overflow_and_local_delivery_goes_on(self):
        (a,) = self.brokers
        pub, local = self.client(a), self.client(a)
        local.subscribe("/topic/overflow", "l")
        self.redis.pause()
        try:
            body = b"x" * 500
            for i in range(60):
                pub.send("/topic/overflow", body + str(i).encode(), receipt=i == 59)
            got = local.read_messages(60)
            self.assertEqual(got[-1].body, body + b"59")
            overflow = metric(a, "stampede_relay_overflow_total")
            self.assertGreater(overflow, 0)
            self.assertGreaterEqual(metric(a, "stampede_relay_lost_total"), overflow)
        finally:
            self.redis.resume()
        wait_for(lambda: metric(a, "stampede_redis_connected") == 1, 15, "reconnect")


if __name__ == "__main__":
    unittest.main()
