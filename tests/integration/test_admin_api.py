"""The admin API under http.admin (DESIGN.md "HTTP", issue 14) on a broker with two shards:
GET connections and destinations gather every shard's sessions; DELETE a connection sends it
ERROR `closed by an administrator` and closes it while others go on; DELETE a room member ends
the membership as /stampede/leave does (memory backend). Credentials: a JWT or a service
account with a role in http.admin_roles (401 with WWW-Authenticate without or with bad ones,
403 without the role); 404 for unknown paths and ids, 405 for the wrong method; each action
is one audit line in the log."""

import base64
import http.client
import json
import re
import time
import urllib.parse

from auth_support import AuthCase, hmac_issuer, mint_hs, temp_dir
from harness import deadline_s, wait_for

ADMIN = "/api/v1/admin"
ISS = "https://hmac.example"
ROOMS = [{"pattern": "/topic/room.*"}]
MAX_TRIES = 200


def basic(login, passcode):
    return "Basic " + base64.b64encode(f"{login}:{passcode}".encode()).decode()


ROOT = basic("root", "root-pass")


class AdminCase(AuthCase):
    """A broker with service accounts; call() makes one admin API request."""

    def call(self, method, path, auth=ROOT):
        """Returns (status, {lowercased header: value}, parsed JSON body or raw bytes)."""
        headers = {} if auth is None else {"Authorization": auth}
        conn = http.client.HTTPConnection("127.0.0.1", self.broker.ws_port,
                                          timeout=deadline_s(10))
        try:
            conn.request(method, ADMIN + path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            got = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = body
        return response.status, got, parsed


class AdminApiTest(AdminCase):
    shards = 2

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000,
                "users": [{"login": "root", "passcode": "root-pass", "roles": ["admin"]},
                          {"login": "alice", "passcode": "pw", "roles": ["member"]},
                          {"login": "bob", "passcode": "pw", "roles": ["member"]}],
                "jwt": [hmac_issuer()]}

    def extra_config(self):
        return {"destinations": {"rooms": ROOMS}}

    def ok(self, method, path, auth=ROOT):
        status, headers, body = self.call(method, path, auth)
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", headers.get("content-type", ""), headers)
        return body

    def user(self, name):
        c = self.broker.tcp_client(self)
        frame = c.connect(extra={"login": name, "passcode": "pw"})
        c.session = frame.headers["session"]
        return c

    def users_on_both_shards(self, name):
        """Connects `name` until it has a session on each shard; returns [shard 0's, shard 1's]."""
        found = {}
        end = time.monotonic() + deadline_s(30)
        for _ in range(MAX_TRIES):
            c = self.user(name)
            shard = int(c.session.partition("-")[0])
            if shard in found:
                c.close()
            else:
                found[shard] = c
            if len(found) == 2:
                return [found[0], found[1]]
            self.assertLess(time.monotonic(), end, "deadline")
        self.fail(f"after {MAX_TRIES} connections only shard(s) {sorted(found)} were used")

    def audit_lines(self, count, pattern):
        return self.broker.wait_log_count(re.compile(r"audit: " + pattern), count,
                                          what=f"audit line {pattern}")

    # -- listings

    def test_connections_lists_every_shard(self):
        on0, on1 = self.users_on_both_shards("alice")
        on0.subscribe("/topic/news", "n0")
        on1.subscribe("/topic/room.7", "r1")
        on1.subscribe("/queue/jobs", "q1")
        listed = {c["id"]: c for c in self.ok("GET", "/connections")}
        for c in (on0, on1):
            self.assertIn(c.session, listed)
            entry = listed[c.session]
            self.assertEqual(entry["principal"], "alice")
            self.assertEqual(entry["version"], "1.2")
            self.assertEqual(entry["state"], "connected")
            self.assertEqual(entry["peer"], "127.0.0.1")
            self.assertEqual(entry["transport"], "tcp")
            self.assertIsInstance(entry["pending_bytes"], int)
        self.assertEqual([s["destination"] for s in listed[on0.session]["subscriptions"]],
                         ["/topic/news"])
        self.assertEqual(sorted((s["destination"], s["kind"], s["id"])
                                for s in listed[on1.session]["subscriptions"]),
                         [("/queue/jobs", "queue", "q1"), ("/topic/room.7", "topic", "r1")])
        self.assertEqual(sorted({i.partition("-")[0] for i in listed}), ["0", "1"])
        self.audit_lines(1, r"admin root from 127\.0\.0\.1: list connections: \d+ connections "
                            r"\(200\)")

    def test_destinations_counts_subscribers_of_both_shards(self):
        on0, on1 = self.users_on_both_shards("bob")
        for c in (on0, on1):
            c.subscribe("/topic/room.9", "r")
        on1.subscribe("/queue/work", "w", ack="client")
        sender = self.user("alice")
        sender.send("/queue/other", b"waiting", receipt=True)
        token = mint_hs({"sub": "ops", "iss": ISS, "roles": ["admin", "x"]})
        listed = {d["destination"]: d for d in self.ok("GET", "/destinations",
                                                        auth=f"Bearer {token}")}
        self.assertEqual(listed["/topic/room.9"],
                         {"destination": "/topic/room.9", "kind": "topic", "subscribers": 2})
        self.assertEqual(listed["/queue/work"],
                         {"destination": "/queue/work", "kind": "queue", "subscribers": 1,
                          "depth": 0})
        self.audit_lines(1, r"admin ops from 127\.0\.0\.1: list destinations: \d+ destinations "
                            r"\(200\)")

    # -- closing a connection

    def test_delete_connection_closes_it_with_an_error(self):
        victim, other = self.users_on_both_shards("alice")
        other.subscribe("/topic/news", "n")
        body = self.ok("DELETE", f"/connections/{victim.session}")
        self.assertEqual(body, {"closed": victim.session})
        error = victim.expect_error("closed by an administrator", timeout=10)
        self.assertIn(b"root", error.body)
        # the other session, on the other shard, keeps working
        other.send("/topic/news", b"still here", receipt=True)
        self.assertEqual(other.expect("MESSAGE", timeout=10).body, b"still here")
        # the closed session leaves the list once its shard has let the connection go
        wait_for(lambda: victim.session not in
                 [c["id"] for c in self.ok("GET", "/connections")], 10,
                 f"{victim.session} gone from the list", interval=0.05)
        self.assertIn(other.session, [c["id"] for c in self.ok("GET", "/connections")])
        self.audit_lines(1, rf"admin root from 127\.0\.0\.1: close connection "
                            rf"{re.escape(victim.session)}: closed \(200\)")
        # gone now, never there, or not an id at all: 404
        for gone in (victim.session, "0-999999", "7-1", "nope"):
            status, _, body = self.call("DELETE", f"/connections/{gone}")
            self.assertEqual(status, 404, (gone, body))
            self.assertIsInstance(body.get("error"), str)

    def test_delete_websocket_connection(self):
        ws = self.broker.ws_client(self)
        session = ws.connect(extra={"login": "bob", "passcode": "pw"}).headers["session"]
        listed = {c["id"]: c for c in self.ok("GET", "/connections")}
        self.assertEqual(listed[session]["transport"], "websocket")
        self.assertEqual(self.ok("DELETE", f"/connections/{session}"), {"closed": session})
        ws.expect_error("closed by an administrator", timeout=10)

    # -- room members

    def unread(self, client, sub_id="u"):
        client.subscribe("/stampede/unread", sub_id)
        frame = client.expect("MESSAGE", timeout=10)
        self.assertEqual(frame.headers["destination"], "/stampede/unread", frame)
        return json.loads(frame.body)

    def test_delete_room_member_ends_the_membership(self):
        alice, bob = self.user("alice"), self.user("bob")
        alice.subscribe("/topic/room.42", "r")
        alice.unsubscribe("r")
        for i in range(2):
            bob.send("/topic/room.42", f"m{i}".encode())
        bob.sync()
        watcher = self.user("alice")
        self.assertEqual(self.unread(watcher)["/topic/room.42"]["unread"], 2)
        room = urllib.parse.quote("/topic/room.42", safe="")
        body = self.ok("DELETE", f"/rooms/{room}/members/alice")
        self.assertEqual(body, {"removed": "alice"})
        # the watcher hears the room go, and a new snapshot no longer has it
        frame = watcher.expect("MESSAGE", timeout=10)
        self.assertEqual(json.loads(frame.body), {"/topic/room.42": None})
        self.assertNotIn("/topic/room.42", self.unread(self.user("alice"), "u2"))
        self.audit_lines(1, r"admin root from 127\.0\.0\.1: remove room member alice from "
                            r"/topic/room\.42: removed \(200\)")
        # no longer a member; a destination that is no room
        status, _, body = self.call("DELETE", f"/rooms/{room}/members/alice")
        self.assertEqual(status, 404, body)
        news = urllib.parse.quote("/topic/news", safe="")
        status, _, body = self.call("DELETE", f"/rooms/{news}/members/alice")
        self.assertEqual(status, 404, body)

    # -- refusals

    def test_credentials_roles_paths_and_methods(self):
        for auth in (None, basic("root", "wrong"), "Bearer not.a.token"):
            status, headers, body = self.call("GET", "/connections", auth)
            self.assertEqual(status, 401, (auth, body))
            self.assertIn("www-authenticate", headers)
            self.assertIsInstance(body.get("error"), str)
        self.audit_lines(3, r"admin \(not authenticated\) from 127\.0\.0\.1: list connections: "
                            r"refused: .* \(401\)")
        for auth in (basic("alice", "pw"),
                     "Bearer " + mint_hs({"sub": "eve", "iss": ISS, "roles": ["member"]})):
            status, _, body = self.call("DELETE", "/connections/0-1", auth)
            self.assertEqual(status, 403, (auth, body))
        self.audit_lines(1, r"admin alice from 127\.0\.0\.1: close connection 0-1: denied "
                            r"\(403\)")
        for path in ("", "/", "/nothing", "/connections/0-1/more", "/rooms/x"):
            status, _, body = self.call("GET", path)
            self.assertEqual(status, 404, (path, body))
        for method, path in (("POST", "/connections"), ("DELETE", "/destinations"),
                             ("GET", "/connections/0-1"), ("PUT", "/rooms/a/members/b")):
            status, _, body = self.call(method, path)
            self.assertEqual(status, 405, (method, path, body))


class AdminApiOffTest(AdminCase):

    def auth_config(self):
        return {"anonymous": False,
                "users": [{"login": "root", "passcode": "root-pass", "roles": ["admin"]}]}

    def extra_config(self):
        return {"http": {"admin": ""}}

    def test_admin_off_is_not_found(self):
        status, _, body = self.call("GET", "/connections")
        self.assertEqual(status, 404, body)


class AdminApiFailuresTest(AdminCase):
    """Bad admin logins count in the per-IP failure guard: past it, even root is refused."""

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 2,
                "users": [{"login": "root", "passcode": "root-pass", "roles": ["admin"]}]}

    def test_failures_block_the_address(self):
        for _ in range(3):
            status, _, _ = self.call("GET", "/connections", basic("root", "bad"))
            self.assertIn(status, (401, 429))
        status, _, body = self.call("GET", "/connections", ROOT)
        self.assertEqual(status, 429, body)


class AdminApiFileBackendTest(AdminCase):
    """With the file backend no memberships are kept: the member DELETE is 409."""

    def auth_config(self):
        return {"anonymous": False,
                "users": [{"login": "root", "passcode": "root-pass", "roles": ["admin"]}]}

    def extra_config(self):
        path = temp_dir(self)
        return {"destinations": {"rooms": ROOMS}, "storage": {"backend": "file", "path": path}}

    def test_member_delete_conflicts(self):
        room = urllib.parse.quote("/topic/room.1", safe="")
        status, _, body = self.call("DELETE", f"/rooms/{room}/members/alice")
        self.assertEqual(status, 409, body)
        self.assertIn("memory", body["error"])


if __name__ == "__main__":
    import unittest
    unittest.main()
