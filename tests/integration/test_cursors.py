"""Read cursors, unread counts and membership on one node with the memory backend
(DESIGN.md "Rooms", issue 13 part 2): an exact room subscription makes its principal a member
starting at the room's latest number; SEND /stampede/read/<room> x-seq:<n> moves the cursor
(monotonic, shared by all the principal's sessions); a member's own message is read;
SEND /stampede/leave/<room> ends the membership; SUBSCRIBE /stampede/unread gives a snapshot,
its RECEIPT, then coalesced updates of the rooms that changed. Refusals: the ACL, anonymous
sessions, a bad x-seq, a non-member, and the file backend (ERROR `not supported`).

Named principals are service accounts; two shards, so a user's sessions are spread over
them and every change crosses shards."""

import json
import tempfile
import time

from harness import BrokerTestCase, assert_node_tests_pass, default_config, node_available

USERS = ["alice", "bob", "carol"]
ROOMS = [{"pattern": "/topic/room.*"}, {"pattern": "/topic/secret.*"}]
ACL = [
    {"destination": "/topic/secret.#", "subscribe": [], "send": ["member"]},
    {"destination": "/topic/#", "subscribe": ["member", "anonymous"],
     "send": ["member", "anonymous"]},
]


def accounts():
    return [{"login": u, "passcode": "pw", "roles": ["member"]} for u in USERS]


class CursorTestCase(BrokerTestCase):

    def user(self, name):
        c = self.broker.tcp_client(self)
        c.connect(extra={"login": name, "passcode": "pw"})
        return c


class CursorsTest(CursorTestCase):

    def config(self):
        return default_config(shards=2, destinations={"rooms": ROOMS},
                              auth={"anonymous": True, "acl": ACL, "users": accounts()})

    def watch(self, client, sub_id="u"):
        """SUBSCRIBE /stampede/unread with a receipt: returns the snapshot (sent before it)."""
        client.subscribe("/stampede/unread", sub_id)
        frame = client.expect("MESSAGE")
        self.assertEqual(frame.headers["destination"], "/stampede/unread")
        self.assertEqual(frame.headers.get("content-type"), "application/json")
        return json.loads(frame.body)

    def update(self, client, timeout=5):
        frame = client.expect("MESSAGE", timeout=timeout)
        self.assertEqual(frame.headers["destination"], "/stampede/unread", frame)
        return json.loads(frame.body)

    def until(self, client, room, **want):
        """Reads updates until `room`'s counts include `want`; returns every update read."""
        seen = []
        while True:
            body = self.update(client)
            seen.append(body)
            counts = body.get(room, {}) or {}
            if all(counts.get(k) == v for k, v in want.items()):
                return seen

    def read(self, client, room, seq, receipt=True):
        client.send("/stampede/read" + room, headers={"x-seq": str(seq)}, receipt=receipt)

    def publish(self, client, room, count):
        for i in range(count):
            client.send(room, f"m{i}".encode())
        client.sync()

    def test_snapshot_then_live_updates_and_a_shared_cursor(self):
        bob = self.user("bob")
        self.publish(bob, "/topic/room.a", 2)
        tab1, tab2 = self.user("alice"), self.user("alice")
        tab1.subscribe("/topic/room.a", "s")
        self.assertEqual(self.watch(tab2),
                         {"/topic/room.a": {"unread": 0, "read_seq": 2, "last_seq": 2}})
        self.publish(bob, "/topic/room.a", 3)
        self.until(tab2, "/topic/room.a", unread=3, read_seq=2, last_seq=5)
        for _ in range(3):
            tab1.expect("MESSAGE")
        # marking read on one session moves the principal's cursor: the other sees it
        self.read(tab1, "/topic/room.a", 4)
        self.until(tab2, "/topic/room.a", unread=1, read_seq=4, last_seq=5)
        # monotonic: a lower number changes nothing (no update either)
        self.read(tab1, "/topic/room.a", 1)
        self.assertIsNone(tab2.try_read_frame(0.5))
        # capped at the latest
        self.read(tab1, "/topic/room.a", 99)
        self.until(tab2, "/topic/room.a", unread=0, read_seq=5, last_seq=5)
        # a second watcher on the first session gets the same snapshot
        self.assertEqual(self.watch(tab1, "u1"),
                         {"/topic/room.a": {"unread": 0, "read_seq": 5, "last_seq": 5}})
        for c in (bob, tab1, tab2):
            c.disconnect()

    def test_own_messages_do_not_count_as_unread(self):
        alice, phone, bob = self.user("alice"), self.user("alice"), self.user("bob")
        alice.subscribe("/topic/room.b", "s")
        self.assertEqual(self.watch(phone)["/topic/room.b"]["unread"], 0)
        alice.send("/topic/room.b", b"mine 1", receipt=True)
        alice.send("/topic/room.b", b"mine 2", receipt=True)
        seen = self.until(phone, "/topic/room.b", read_seq=2, last_seq=2)
        self.assertTrue(all(u["/topic/room.b"]["unread"] == 0 for u in seen), seen)
        bob.send("/topic/room.b", b"theirs", receipt=True)
        seen = self.until(phone, "/topic/room.b", last_seq=3)
        self.assertEqual(seen[-1]["/topic/room.b"], {"unread": 1, "read_seq": 2, "last_seq": 3})
        for c in (alice, phone, bob):
            c.disconnect()

    def test_updates_are_coalesced(self):
        alice, bob = self.user("alice"), self.user("bob")
        alice.subscribe("/topic/room.busy", "s")
        alice.subscribe("/topic/room.other", "o")
        self.watch(alice)
        alice.unsubscribe("s")  # still a member: only the messages of the watcher matter here
        alice.unsubscribe("o")
        start = time.monotonic()
        self.publish(bob, "/topic/room.busy", 100)
        self.publish(bob, "/topic/room.other", 1)
        updates = []
        state = {}
        while state.get("/topic/room.busy", {}).get("unread") != 100 or \
                state.get("/topic/room.other", {}).get("unread") != 1:
            body = self.update(alice)
            updates.append(body)
            state.update(body)
        elapsed = time.monotonic() - start
        # at most one update per 100 ms (+1 for the first, which may leave at once)
        self.assertLessEqual(len(updates), elapsed / 0.1 + 2, updates)
        self.assertLess(len(updates), 100)
        alice.disconnect()
        bob.disconnect()

    def test_leave_ends_the_membership_and_a_new_member_starts_at_zero(self):
        alice, bob = self.user("alice"), self.user("bob")
        alice.subscribe("/topic/room.c", "c")
        alice.subscribe("/topic/room.d", "d")
        self.publish(bob, "/topic/room.c", 2)
        watcher = self.user("alice")
        snapshot = self.watch(watcher)
        self.assertEqual(snapshot["/topic/room.c"]["unread"], 2)
        self.assertIn("/topic/room.d", snapshot)
        alice.unsubscribe("c")
        alice.send("/stampede/leave/topic/room.c", receipt=True)
        self.assertEqual(self.update(watcher), {"/topic/room.c": None})
        # its messages no longer reach the watcher; room.d's still do
        self.publish(bob, "/topic/room.c", 1)
        self.publish(bob, "/topic/room.d", 1)
        body = self.update(watcher)
        self.assertEqual(body, {"/topic/room.d": {"unread": 1, "read_seq": 0, "last_seq": 1}})
        # subscribing again is a new membership, at the latest number: 0 unread
        alice.subscribe("/topic/room.c", "c")
        self.assertEqual(self.update(watcher),
                         {"/topic/room.c": {"unread": 0, "read_seq": 3, "last_seq": 3}})
        # a brand-new member of a room with history starts at 0 unread too
        self.publish(bob, "/topic/room.e", 5)
        carol = self.user("carol")
        carol.subscribe("/topic/room.e", "e")
        self.assertEqual(self.watch(carol, "ce"),
                         {"/topic/room.e": {"unread": 0, "read_seq": 5, "last_seq": 5}})
        for c in (alice, bob, watcher, carol):
            c.disconnect()

    def test_read_needs_subscribe_on_the_room(self):
        alice = self.user("alice")
        self.read(alice, "/topic/secret.x", 1, receipt=False)
        error = alice.expect_error("access denied")
        self.assertIn(b"/topic/secret.x", error.body)

    def test_anonymous_sessions_have_no_unread(self):
        anon = self.client()
        anon.subscribe("/topic/room.f", "s")  # counts in presence, never a member
        anon.send_frame("SUBSCRIBE", [("destination", "/stampede/unread"), ("id", "u")])
        anon.expect_error("access denied")
        anon = self.client()
        self.read(anon, "/topic/room.f", 1, receipt=False)
        anon.expect_error("access denied")

    def test_bad_x_seq_and_non_members(self):
        for value in (None, "", "abc", "-1", "1.5"):
            alice = self.user("alice")
            alice.subscribe("/topic/room.g", "s")
            headers = {} if value is None else {"x-seq": value}
            alice.send("/stampede/read/topic/room.g", headers=headers)
            error = alice.expect_error("bad history header")
            self.assertIn(b"x-seq", error.body)
        bob = self.user("bob")
        self.read(bob, "/topic/room.g", 1, receipt=False)
        error = bob.expect_error("bad destination")
        self.assertIn(b"not a member", error.body)
        bob = self.user("bob")
        self.read(bob, "/topic/plain", 1, receipt=False)  # not a room
        bob.expect_error("bad destination")


class CursorsFileBackendTest(CursorTestCase):
    """Cursors are kept in memory only for now: the file backend refuses them clearly."""

    def setUp(self):
        self.storage_dir = tempfile.TemporaryDirectory(prefix="stampede-cursors-")
        self.addCleanup(self.storage_dir.cleanup)
        super().setUp()

    def config(self):
        return default_config(shards=2, destinations={"rooms": ROOMS},
                              auth={"anonymous": True, "acl": ACL, "users": accounts()},
                              storage={"backend": "file", "path": self.storage_dir.name})

    def test_cursors_are_not_supported(self):
        alice = self.user("alice")
        alice.subscribe("/topic/room.a", "s")  # rooms themselves work
        alice.send("/topic/room.a", b"kept", receipt=True)
        alice.expect("MESSAGE")
        alice.send("/stampede/read/topic/room.a", headers={"x-seq": "1"})
        error = alice.expect_error("not supported")
        self.assertEqual(error.body, b"read cursors are kept in memory only for now: "
                                     b"not built for the file backend")
        for destination in ("/stampede/unread",):
            bob = self.user("bob")
            bob.send_frame("SUBSCRIBE", [("destination", destination), ("id", "u")])
            bob.expect_error("not supported")
        carol = self.user("carol")
        carol.send("/stampede/leave/topic/room.a")
        carol.expect_error("not supported")


class CursorsStompJsTest(CursorTestCase):
    """The same through @stomp/stompjs (tests/interop/stompjs_cursors.scenario.mjs)."""

    config = CursorsTest.config

    def test_stompjs_cursors(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)
        assert_node_tests_pass(self, "stompjs_cursors.scenario.mjs",
                               {"STAMPEDE_WS_URL": self.broker.ws_url})
