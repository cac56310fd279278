"""Laravel broadcasting, unchanged (issue 14): Laravel's Redis broadcaster PUBLISHes
{"event","data","socket"} to a channel named after the broadcast channel behind the app's
prefix; with cluster.redis.laravel every node reads those channels from the start, and each
broadcast reaches the mapped destination's STOMP subscribers once, its body `data` as JSON.
The payloads below are byte for byte what Laravel 10 and 11 emit."""

import json
import re
import unittest

from harness import BrokerProcess, default_config, wait_for
from redis_harness import RedisProcess
from test_cluster import PREFIX, metric

LARAVEL_PREFIX = "laravel_database_"
# Illuminate\Broadcasting\Broadcasters\RedisBroadcaster::broadcast (Laravel 10.x and 11.x):
# json_encode(['event' => $event, 'data' => $payload, 'socket' => Arr::pull($payload,
# 'socket')]): `data` is copied before the pull, so it still holds "socket".
MESSAGE_SENT = ('{"event":"App\\\\Events\\\\MessageSent","data":{"message":{"id":12,'
                '"body":"hello from php","user_id":7},"socket":"1234.5678"},'
                '"socket":"1234.5678"}')
USER_JOINED = ('{"event":"user.joined","data":{"user":{"id":9,"name":"Ann"},"socket":null},'
               '"socket":null}')


class LaravelIngressTest(unittest.TestCase):

    def setUp(self):
        self.redis = RedisProcess().start(self)
        self.nodes = [self.start_node("node-a"), self.start_node("node-b")]

    def start_node(self, node_id):
        config = default_config(
            node={"id": node_id, "shards": 2},
            destinations={"rooms": [{"pattern": "/topic/room.*"}]},
            cluster={"redis": {"url": self.redis.url, "channel_prefix": PREFIX,
                               "laravel": {"prefix": LARAVEL_PREFIX,
                                           "channels": {"private-chat.{id}": "/topic/chat.{id}",
                                                        "presence-room.{id}": "/topic/room.{id}"}}}})
        broker = BrokerProcess(config).start(self)
        wait_for(lambda: metric(broker, "stampede_redis_connected") == 1, 10,
                 f"{node_id} connected to redis")
        return broker

    def subscriber(self, broker, destination, transport="tcp"):
        c = broker.tcp_client(self) if transport == "tcp" else broker.ws_client(self)
        c.connect()
        c.subscribe(destination, "s")
        return c

    def listening(self):
        """Both nodes PSUBSCRIBEd to Laravel's channels (from the start, not on interest)."""
        def listeners():
            clients = self.redis.command("CLIENT", "LIST")
            text = clients.decode() if isinstance(clients, bytes) else clients
            return sum(1 for line in text.splitlines()
                       if re.search(r"\bpsub=([2-9]|\d\d+)\b", line))
        wait_for(lambda: listeners() >= 2, 10, "both nodes listen on the laravel channels")

    def test_a_broadcast_reaches_every_nodes_subscribers_once(self):
        subs = [self.subscriber(self.nodes[0], "/topic/chat.42"),
                self.subscriber(self.nodes[1], "/topic/chat.42", "ws")]
        other = self.subscriber(self.nodes[1], "/topic/chat.43")
        self.listening()
        self.redis.command("PUBLISH", f"{LARAVEL_PREFIX}private-chat.42", MESSAGE_SENT)
        for s in subs:
            m = s.expect("MESSAGE")
            self.assertEqual(json.loads(m.body),
                             {"message": {"id": 12, "body": "hello from php", "user_id": 7},
                              "socket": "1234.5678"})
            # on the wire as STOMP 1.2 writes a backslash in a header value: escaped
            self.assertEqual(m.headers["x-event"], "App\\\\Events\\\\MessageSent")
            self.assertEqual(m.headers["content-type"], "application/json")
            self.assertEqual(m.headers["destination"], "/topic/chat.42")
        # once per node: a marker published after arrives next
        for s, node in zip(subs, self.nodes):
            s.subscribe("/topic/marker", "mk")
            pub = node.tcp_client(self)
            pub.connect()
            pub.send("/topic/marker", b"marker", receipt=True)
            self.assertEqual(s.read_frame().body, b"marker")
        other.subscribe("/topic/marker", "mk")
        pub = self.nodes[1].tcp_client(self)
        pub.connect()
        pub.send("/topic/marker", b"marker", receipt=True)
        self.assertEqual(other.read_frame().body, b"marker")  # chat.43 got nothing

    def test_a_broadcast_to_a_room_is_numbered_once_and_kept(self):
        self.listening()
        # Nobody subscribed yet: the room keeps it anyway (the channels are read from start).
        self.redis.command("PUBLISH", f"{LARAVEL_PREFIX}presence-room.7", USER_JOINED)
        self.redis.command("PUBLISH", f"{LARAVEL_PREFIX}presence-room.7", MESSAGE_SENT)
        for node in self.nodes:
            c = node.tcp_client(self)
            c.connect()
            c.send_frame("SUBSCRIBE", [("destination", "/topic/room.7"), ("id", "r"),
                                       ("x-history", "10"), ("receipt", "h")])
            got = [c.expect("MESSAGE") for _ in range(2)]
            self.assertEqual([m.headers["x-seq"] for m in got], ["1", "2"])
            self.assertEqual(got[0].headers["x-event"], "user.joined")
            receipt = c.expect("RECEIPT")
            self.assertEqual(receipt.headers["x-seq"], "2")

    def test_what_is_not_a_laravel_broadcast_is_ignored(self):
        sub = self.subscriber(self.nodes[0], "/topic/chat.1")
        self.listening()
        for payload in ("not json", '{"data":{}}', '["event"]'):
            self.redis.command("PUBLISH", f"{LARAVEL_PREFIX}private-chat.1", payload)
        self.redis.command("PUBLISH", f"{LARAVEL_PREFIX}private-chat.1", USER_JOINED)
        m = sub.expect("MESSAGE")
        self.assertEqual(m.headers["x-event"], "user.joined")


if __name__ == "__main__":
    unittest.main()
