"""Room presence on one node (DESIGN.md "Rooms", issue 13): a principal's first subscription
to a presence room is an enter, its last one gone a leave (UNSUBSCRIBE, DISCONNECT, a dropped
socket, a heart-beat timeout), with x-presence/x-user/x-user-count notices that are not
numbered; x-user-count on every other message (a client cannot forge it); notices off; a
Spring-style notice template; SUBSCRIBE /stampede/presence/<room> (snapshot, RECEIPT, live
changes, the ACL); other /stampede/ destinations refused; the x-ephemeral rate limit.

Named principals are service accounts (CONNECT login/passcode); two shards, and a user's
tabs are separate connections, spread over them."""

import json
import time

from auth_support import HMAC_SECRET, AuthCase, bearer, hmac_issuer, mint
from harness import BrokerTestCase, assert_node_tests_pass, default_config, node_available
from test_cluster import metric
from room_support import subscribe_with_receipt

USERS = ["alice", "bob", "carol"]
SPRING_ENTER = '{"type":"ENTER","roomId":"{id}","sender":{user},"userCount":{count}}'
SPRING_LEAVE = '{"type":"LEAVE","roomId":"{id}","sender":{user},"userCount":{count}}'
ROOMS = [
    {"pattern": "/topic/room.*", "presence": {"enabled": True, "ephemeral_per_s": 3}},
    {"pattern": "/topic/chat/room/{id}",
     "presence": {"notice_body": {"enter": SPRING_ENTER, "leave": SPRING_LEAVE}}},
    {"pattern": "/topic/quiet.*", "presence": {"notices": False}},
    {"pattern": "/topic/secret.*", "presence": True},
    {"pattern": "/topic/plain.*"},
]
ACL = [
    {"destination": "/topic/secret.#", "subscribe": [], "send": []},
    {"destination": "/topic/#", "subscribe": ["member", "anonymous"],
     "send": ["member", "anonymous"]},
]


class PresenceTest(BrokerTestCase):

    def config(self):
        return default_config(
            shards=2, destinations={"rooms": ROOMS},
            auth={"anonymous": True, "acl": ACL,
                  "users": [{"login": u, "passcode": "pw", "roles": ["member"]} for u in USERS]})

    def user(self, name, heart_beat=None):
        c = self.broker.tcp_client(self)
        c.connect(heart_beat=heart_beat, extra={"login": name, "passcode": "pw"})
        return c

    def notice(self, client, event, user, count):
        frame = client.expect("MESSAGE", timeout=10)
        self.assertEqual(frame.headers.get("x-presence"), event, frame)
        self.assertEqual(frame.headers.get("x-user"), user, frame)
        self.assertEqual(frame.headers.get("x-user-count"), str(count), frame)
        self.assertNotIn("x-seq", frame.headers)  # notices are not numbered
        self.assertNotIn("x-sender", frame.headers)
        self.assertEqual(frame.headers.get("content-type"), "application/json")
        return frame

    def test_three_tabs_are_one_member(self):
        watcher = self.user("bob")
        watcher.subscribe("/topic/room.a", "w")
        self.notice(watcher, "enter", "bob", 1)
        tabs = [self.user("alice") for _ in range(3)]
        tabs[0].subscribe("/topic/room.a", "t")
        frame = self.notice(watcher, "enter", "alice", 2)
        self.assertEqual(json.loads(frame.body),
                         {"event": "enter", "user": "alice", "count": 2})
        for tab in tabs[1:]:
            tab.subscribe("/topic/room.a", "t")
        # the second and third tab are no enter: the next thing bob sees is a message
        tabs[2].send("/topic/room.a", b"hello", receipt=True)
        message = watcher.expect("MESSAGE")
        self.assertEqual(message.body, b"hello")
        self.assertEqual(message.headers.get("x-user-count"), "2")
        self.assertIn("x-seq", message.headers)
        tabs[0].unsubscribe("t")
        tabs[1].disconnect()
        tabs[2].send("/topic/room.a", b"still here", receipt=True)
        self.assertEqual(watcher.expect("MESSAGE").body, b"still here")
        tabs[2].unsubscribe("t")  # the last one: a leave
        self.notice(watcher, "leave", "alice", 1)
        for tab in (tabs[0], tabs[2]):
            tab.disconnect()

    def test_leave_on_disconnect_dropped_socket_and_heartbeat_timeout(self):
        watcher = self.user("bob")
        watcher.subscribe("/topic/room.b", "w")
        self.notice(watcher, "enter", "bob", 1)
        alice = self.user("alice")
        alice.subscribe("/topic/room.b", "s")
        self.notice(watcher, "enter", "alice", 2)
        alice.disconnect()
        self.notice(watcher, "leave", "alice", 1)

        carol = self.user("carol")
        carol.subscribe("/topic/room.b", "s")
        self.notice(watcher, "enter", "carol", 2)
        carol.close()  # no DISCONNECT
        self.notice(watcher, "leave", "carol", 1)

        # says it beats every second, then never does: ERROR heart-beat timeout, a leave
        silent = self.user("alice", heart_beat="1000,0")
        silent.subscribe("/topic/room.b", "s")
        self.notice(watcher, "enter", "alice", 2)
        self.notice(watcher, "leave", "alice", 1)  # within grace x 1 s, expect() waits 10 s
        watcher.disconnect()

    def test_anonymous_sessions_are_each_a_member(self):
        a, b = self.client(), self.client()
        a.subscribe("/topic/room.anon", "s")
        first = a.expect("MESSAGE")
        # the session's principal, "anonymous:<session>" (':' escaped as \c in a 1.2 header)
        self.assertTrue(first.headers["x-user"].startswith("anonymous\\c"), first)
        self.assertEqual(json.loads(first.body)["user"],
                         first.headers["x-user"].replace("\\c", ":"))
        b.subscribe("/topic/room.anon", "s")
        second = a.expect("MESSAGE")
        self.assertEqual(second.headers["x-user-count"], "2")
        self.assertNotEqual(second.headers["x-user"], first.headers["x-user"])
        a.disconnect()
        b.disconnect()

    def test_spring_style_template(self):
        bob = self.user("bob")
        bob.subscribe("/topic/chat/room/42", "s")
        frame = self.notice(bob, "enter", "bob", 1)
        self.assertEqual(json.loads(frame.body),
                         {"type": "ENTER", "roomId": "42", "sender": "bob", "userCount": 1})
        alice = self.user("alice")
        alice.subscribe("/topic/chat/room/42", "s")
        self.notice(bob, "enter", "alice", 2)
        alice.disconnect()
        frame = self.notice(bob, "leave", "alice", 1)
        self.assertEqual(json.loads(frame.body),
                         {"type": "LEAVE", "roomId": "42", "sender": "alice", "userCount": 1})
        bob.disconnect()

    def test_notices_off_counts_still_on_messages(self):
        bob = self.user("bob")
        bob.subscribe("/topic/quiet.x", "s")
        alice = self.user("alice")
        alice.subscribe("/topic/quiet.x", "s")
        alice.send("/topic/quiet.x", b"hi", receipt=True)
        frame = bob.expect("MESSAGE")  # no notice before it
        self.assertEqual((frame.body, frame.headers.get("x-user-count")), (b"hi", "2"))
        self.assertNotIn("x-presence", frame.headers)
        alice.disconnect()
        bob.disconnect()

    def test_forged_presence_headers_are_dropped(self):
        bob = self.user("bob")
        bob.subscribe("/topic/room.f", "s")
        self.notice(bob, "enter", "bob", 1)
        bob.subscribe("/topic/plain.f", "p")
        bob.send("/topic/room.f", b"forged",
                 headers={"x-user-count": "999", "x-presence": "leave"}, receipt=True)
        frame = bob.expect("MESSAGE")
        self.assertEqual(frame.body, b"forged")
        self.assertEqual(frame.headers.get("x-user-count"), "1")
        self.assertNotIn("x-presence", frame.headers)
        bob.send("/topic/plain.f", b"plain", headers={"x-user-count": "999"}, receipt=True)
        frame = bob.expect("MESSAGE")
        self.assertEqual(frame.body, b"plain")
        self.assertNotIn("x-user-count", frame.headers)  # not a presence room
        bob.disconnect()

    def test_snapshot_then_live_changes(self):
        alice, carol = self.user("alice"), self.user("carol")
        alice.subscribe("/topic/room.s", "s")
        carol.subscribe("/topic/room.s", "s")
        watcher = self.user("bob")
        before, receipt = subscribe_with_receipt(watcher, "/stampede/presence/topic/room.s", "p")
        self.assertEqual(len(before), 1, before)
        snapshot = before[0]
        self.assertEqual(snapshot.headers.get("x-presence"), "snapshot")
        self.assertEqual(snapshot.headers.get("x-user-count"), "2")
        self.assertEqual(snapshot.headers.get("destination"), "/stampede/presence/topic/room.s")
        self.assertEqual(json.loads(snapshot.body), {"users": ["alice", "carol"], "count": 2})
        carol.disconnect()
        self.notice(watcher, "leave", "carol", 1)
        third = self.user("carol")
        third.subscribe("/topic/room.s", "s")
        frame = self.notice(watcher, "enter", "carol", 2)
        self.assertEqual(frame.headers.get("destination"), "/stampede/presence/topic/room.s")
        self.assertEqual(json.loads(frame.body), {"event": "enter", "user": "carol", "count": 2})
        for c in (alice, third, watcher):
            c.disconnect()

    def test_snapshot_needs_subscribe_on_the_room(self):
        bob = self.user("bob")
        bob.send_frame("SUBSCRIBE", [("destination", "/stampede/presence/topic/secret.x"),
                                     ("id", "p"), ("receipt", "r")])
        error = bob.expect_error("access denied")
        self.assertIn("/topic/secret.x", error.body.decode())

    def test_snapshot_of_a_room_without_presence_is_refused(self):
        bob = self.user("bob")
        bob.send_frame("SUBSCRIBE", [("destination", "/stampede/presence/topic/plain.x"),
                                     ("id", "p")])
        error = bob.expect("ERROR")
        self.assertIn("not a room with presence enabled", error.body.decode())

    def test_other_broker_destinations_are_unknown(self):
        bob = self.user("bob")
        bob.send_frame("SUBSCRIBE", [("destination", "/stampede/nothing"), ("id", "p")])
        error = bob.expect_error("unknown destination prefix")
        self.assertIn("reserved for the broker", error.body.decode())
        carol = self.user("carol")
        carol.send_frame("SEND", [("destination", "/stampede/presence/topic/room.a")], b"x")
        error = carol.expect_error("unknown destination prefix")
        self.assertIn("reserved for the broker", error.body.decode())

    def test_ephemeral_rate_limit_drops_quietly(self):
        bob = self.user("bob")
        bob.subscribe("/topic/room.e", "s")
        self.notice(bob, "enter", "bob", 1)
        alice = self.user("alice")  # not subscribed: sending needs no presence
        for i in range(10):
            alice.send("/topic/room.e", f"typing {i}".encode(),
                       headers={"x-ephemeral": "true"})
        alice.send("/topic/room.e", b"done", receipt=True)  # still connected
        bodies = []
        while True:
            frame = bob.expect("MESSAGE")
            if frame.body == b"done":
                break
            self.assertEqual(frame.headers.get("x-user-count"), "1")
            self.assertNotIn("x-seq", frame.headers)
            bodies.append(frame.body)
        # 3 a second: a slow machine may cross into the next second once
        self.assertGreaterEqual(len(bodies), 3)
        self.assertLessEqual(len(bodies), 6)
        self.assertEqual(bodies[0], b"typing 0")
        self.assertEqual(metric(self.broker, "stampede_room_ephemeral_dropped_total"),
                         10 - len(bodies))
        self.assertEqual(metric(self.broker, "stampede_room_presence_members"), 1)
        time.sleep(1.1)
        alice.send("/topic/room.e", b"typing again", headers={"x-ephemeral": "true"},
                   receipt=True)
        self.assertEqual(bob.expect("MESSAGE").body, b"typing again")
        alice.disconnect()
        bob.disconnect()


class PresenceInfoTest(AuthCase):
    """info_claim: the claim's value from each member's JWT beside it in snapshots."""

    @classmethod
    def setUpClass(cls):
        claims = {"alice": {"profile": {"name": "Alice", "avatar": 3}}, "bob": {}}
        out = mint({"keys": {"h": {"alg": "HS256", "secret": HMAC_SECRET, "kid": None}},
                    "tokens": [{"key": "h", "claims": dict(c, sub=n, iss="https://hmac.example")}
                               for n, c in claims.items()]})
        cls.tokens = dict(zip(claims, out["tokens"]))

    def config(self):
        return default_config(
            shards=2,
            destinations={"rooms": [{"pattern": "/topic/team.*",
                                     "presence": {"info_claim": "profile"}}]},
            auth={"anonymous": True, "jwt": [hmac_issuer()]})

    def test_snapshot_carries_each_members_claim(self):
        alice = self.login(bearer(self.tokens["alice"]))
        bob = self.login(bearer(self.tokens["bob"]))
        alice.subscribe("/topic/team.a", "s")
        bob.subscribe("/topic/team.a", "s")
        anonymous = self.client()
        before, _ = subscribe_with_receipt(anonymous, "/stampede/presence/topic/team.a", "p")
        self.assertEqual(json.loads(before[0].body),
                         {"users": ["alice", "bob"], "count": 2,
                          "info": {"alice": {"name": "Alice", "avatar": 3}}})
        for c in (alice, bob, anonymous):
            c.disconnect()


class PresenceStompJsTest(BrokerTestCase):
    """The same through @stomp/stompjs (tests/interop/stompjs_presence.scenario.mjs)."""

    config = PresenceTest.config

    def test_stompjs_presence(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)
        assert_node_tests_pass(self, "stompjs_presence.scenario.mjs",
                               {"STAMPEDE_WS_URL": self.broker.ws_url})
