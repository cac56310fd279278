"""The ACL (issue 3): first matching rule decides, default deny once rules exist, roles from
JWT claims (name, JSON Pointer, space-separated scope) and service accounts, `user:` grantees,
`{principal}` destinations, wildcard SUBSCRIBE allowed only when every destination it can match
is, anonymous sessions, and an ACL reload revoking subscriptions (`access revoked`)."""

import shutil
import unittest

from auth_support import HMAC_SECRET, AuthCase, bearer, hmac_issuer, mint
from harness import wait_for

MEMBERS = "https://members.example"
KEYCLOAK = "https://kc.example"
OAUTH = "https://oauth.example"

RULES = [
    {"destination": "/queue/user.{principal}", "subscribe": ["user:{principal}"],
     "send": ["backend"]},
    {"destination": "/topic/room.secret", "subscribe": ["admin"], "send": ["admin"]},
    {"destination": "/topic/room.*", "subscribe": ["member", "admin"], "send": ["member"]},
    {"destination": "/topic/open.*", "subscribe": ["member"], "send": ["member"]},
    {"destination": "/topic/open.locked", "subscribe": [], "send": []},  # shadowed by open.*
    {"destination": "/topic/admin.#", "subscribe": ["admin"], "send": ["admin"]},
    {"destination": "/topic/vip", "subscribe": ["user:carol"], "send": ["user:carol", "admin"]},
    {"destination": "/topic/public.#", "subscribe": ["anonymous", "member"], "send": ["member"]},
    {"destination": "/topic/scoped.*", "subscribe": ["chat:read"], "send": ["chat:write"]},
    {"destination": "/topic/kc.*", "subscribe": ["kc-reader", "kc-writer"], "send": ["kc-writer"]},
    # a broad rule after the principal rule: first match wins, so it must never open another
    # user's queue (issue 3: "/queue/user.{principal} is only that user's")
    {"destination": "/queue/user.#", "subscribe": ["member"], "send": ["member"]},
]

PEOPLE = {
    "alice": {"iss": MEMBERS, "roles": ["member"]},
    "bob": {"iss": MEMBERS, "roles": ["member"]},
    "carol": {"iss": MEMBERS, "roles": []},
    "dave": {"iss": MEMBERS, "roles": ["member"]},
    "root": {"iss": MEMBERS, "roles": ["admin"]},
    "a.b": {"iss": MEMBERS, "roles": []},
    "kc-reader": {"iss": KEYCLOAK, "realm_access": {"roles": ["kc-reader", "offline"]},
                  "roles": ["kc-writer"]},  # a plain `roles` claim is not this issuer's
    "kc-writer": {"iss": KEYCLOAK, "realm_access": {"roles": ["kc-writer"]}},
    "scope-read": {"iss": OAUTH, "scope": "openid chat:read profile"},
    "scope-write": {"iss": OAUTH, "scope": "chat:read chat:write"},
}


class AclCase(AuthCase):

    anonymous = False

    @classmethod
    def setUpClass(cls):
        names = list(PEOPLE)
        out = mint({"keys": {"h": {"alg": "HS256", "secret": HMAC_SECRET, "kid": None}},
                    "tokens": [{"key": "h", "claims": dict(PEOPLE[n], sub=n)} for n in names]})
        shutil.rmtree(out["dir"], ignore_errors=True)
        cls.tokens = dict(zip(names, out["tokens"]))

    def rules(self):
        return RULES

    def auth_config(self):
        return {"anonymous": self.anonymous, "max_failures_per_minute": 1000,
                "users": [{"login": "backend", "passcode": "backend-pass", "roles": ["backend"]}],
                "jwt": [hmac_issuer(name="members", issuer=MEMBERS),
                        hmac_issuer(name="keycloak", issuer=KEYCLOAK,
                                    roles_claim="/realm_access/roles"),
                        hmac_issuer(name="oauth", issuer=OAUTH, roles_claim="scope")],
                "acl": self.rules()}

    def user(self, name, transport="tcp"):
        return self.login(bearer(self.tokens[name]), transport)

    def backend(self):
        return self.login({"login": "backend", "passcode": "backend-pass"})

    def assert_denied(self, client, action, destination, by=None):
        """`client` does `action` with a receipt: ERROR access denied, receipt-id, the body
        naming the destination, then a close; the bystander still works."""
        by = by or self.bystander()
        rid = "deny-" + "".join(ch if ch.isalnum() else "_" for ch in action + destination)
        if action == "subscribe":
            client.send_frame("SUBSCRIBE", [("destination", destination), ("id", "denied"),
                                            ("receipt", rid)], content_length=False)
        else:
            client.send_frame("SEND", [("destination", destination), ("receipt", rid)], b"no")
        frame = client.expect_error("access denied", timeout=10, receipt_id=rid)
        self.assertIn(destination, frame.body.decode("utf-8", "replace"), frame)
        self.assert_still_works(by)

    def assert_round_trip(self, sender, receiver, destination, body=b"hello"):
        sub = f"s-{destination}"
        receiver.subscribe(destination, sub)
        sender.send(destination, body, receipt=True)
        message = receiver.expect("MESSAGE", destination=destination, timeout=10)
        self.assertEqual(message.body, body)
        receiver.unsubscribe(sub)
        return message


class AclTest(AclCase):

    def test_role_may_subscribe_and_send(self):
        alice, bob = self.user("alice"), self.user("bob", "ws")
        message = self.assert_round_trip(alice, bob, "/topic/room.1")
        self.assertEqual(message.headers.get("x-sender"), "alice")

    def test_action_not_listed_is_denied(self):
        root = self.user("root")
        root.subscribe("/topic/room.1", "r1")  # admin may read room.*
        self.assert_denied(root, "send", "/topic/room.1")  # but not write

    def test_first_matching_rule_denies_before_a_later_allow(self):
        self.assert_denied(self.user("alice"), "subscribe", "/topic/room.secret")

    def test_first_matching_rule_allows_before_a_later_deny(self):
        alice, bob = self.user("alice"), self.user("bob")
        self.assert_round_trip(alice, bob, "/topic/open.locked")

    def test_admin_rule_before_the_general_one(self):
        root = self.user("root")
        self.assert_round_trip(root, root, "/topic/room.secret")

    def test_no_matching_rule_denies_send(self):
        self.assert_denied(self.user("alice"), "send", "/topic/nowhere")

    def test_no_matching_rule_denies_subscribe(self):
        self.assert_denied(self.user("root"), "subscribe", "/queue/nowhere")

    def test_principal_queue(self):
        # DESIGN.md's own example: subscribe user:{principal}, send role:backend
        alice = self.user("alice")
        alice.subscribe("/queue/user.alice", "mine")
        backend = self.backend()
        backend.send("/queue/user.alice", b"for alice", receipt=True)
        message = alice.expect("MESSAGE", destination="/queue/user.alice")
        self.assertEqual((message.body, message.headers.get("x-sender")), (b"for alice", "backend"))

    def test_principal_queue_of_someone_else(self):
        self.assert_denied(self.user("alice"), "subscribe", "/queue/user.bob")

    def test_principal_queue_send_needs_backend(self):
        self.assert_denied(self.user("alice"), "send", "/queue/user.alice")

    def test_principal_with_a_dot_never_matches_a_principal_rule(self):
        self.assert_denied(self.user("a.b"), "subscribe", "/queue/user.a.b")

    def test_user_grantee(self):
        carol = self.user("carol")
        root = self.user("root")
        self.assert_round_trip(carol, carol, "/topic/vip")
        self.assert_round_trip(root, carol, "/topic/vip", b"from admin")

    def test_user_grantee_excludes_others(self):
        self.assert_denied(self.user("dave"), "subscribe", "/topic/vip")

    def test_user_grantee_does_not_grant_roles(self):
        # carol has no member role: room.* is not hers
        self.assert_denied(self.user("carol"), "subscribe", "/topic/room.1")

    def test_roles_from_a_json_pointer(self):
        reader, writer = self.user("kc-reader"), self.user("kc-writer")
        message = self.assert_round_trip(writer, reader, "/topic/kc.news")
        self.assertEqual(message.headers.get("x-sender"), "kc-writer")
        # the reader's top-level `roles` claim (kc-writer) is ignored by this issuer
        self.assert_denied(reader, "send", "/topic/kc.news")

    def test_roles_from_a_scope_string(self):
        reader, writer = self.user("scope-read"), self.user("scope-write", "ws")
        self.assert_round_trip(writer, reader, "/topic/scoped.general")
        self.assert_denied(reader, "send", "/topic/scoped.general")

    def test_service_account_roles(self):
        self.assert_denied(self.backend(), "subscribe", "/topic/room.1")

    def test_wildcard_subscribe_allowed_when_every_destination_is(self):
        root = self.user("root")
        alice = self.user("alice")
        for pattern, client in (("/topic/room.*", root), ("/topic/admin.#", root),
                                ("/topic/public.#", alice), ("/topic/open.*", alice)):
            with self.subTest(pattern=pattern):
                client.subscribe(pattern, f"w-{pattern}")

    def test_wildcard_subscribe_receives(self):
        root = self.user("root")
        root.subscribe("/topic/room.*", "all-rooms")
        alice = self.user("alice")
        alice.send("/topic/room.9", b"nine", receipt=True)
        self.assertEqual(root.expect("MESSAGE", destination="/topic/room.9").body, b"nine")

    def test_wildcard_subscribe_denied_when_one_destination_is_not(self):
        # /topic/room.* can match /topic/room.secret, which is admin-only
        self.assert_denied(self.user("alice"), "subscribe", "/topic/room.*")

    def test_wildcard_subscribe_over_everything(self):
        self.assert_denied(self.user("root"), "subscribe", "/topic/#")

    def test_wildcard_subscribe_across_rules(self):
        self.assert_denied(self.user("alice"), "subscribe", "/topic/*.1")


class AclAnonymousTest(AclCase):

    anonymous = True

    def test_anonymous_role(self):
        anon = self.login({})
        anon.subscribe("/topic/public.news", "n")
        alice = self.user("alice")
        alice.send("/topic/public.news", b"extra", receipt=True)
        self.assertEqual(anon.expect("MESSAGE").body, b"extra")

    def test_anonymous_cannot_send(self):
        self.assert_denied(self.login({}), "send", "/topic/public.news")

    def test_anonymous_never_matches_user_principal(self):
        anon = self.login({})
        session = anon.connected_frame.headers["session"]
        self.assert_denied(anon, "subscribe", f"/queue/user.anonymous:{session}")

    def test_unknown_login_is_anonymous(self):
        self.assert_denied(self.login({"login": "guest", "passcode": "guest"}), "send",
                           "/topic/room.1")


class NoRulesTest(AuthCase):
    """No rules: everything is allowed, for anyone."""

    def auth_config(self):
        return {"anonymous": True, "max_failures_per_minute": 1000, "jwt": [hmac_issuer()]}

    def test_everything_allowed(self):
        out = mint({"alg": "HS256", "secret": HMAC_SECRET,
                    "claims": {"sub": "nobody-special", "iss": "https://hmac.example"}})
        shutil.rmtree(out["dir"], ignore_errors=True)
        user = self.login(bearer(out["token"]))
        anon = self.login({})
        for destination in ("/topic/anything", "/topic/room.secret", "/queue/user.x"):
            with self.subTest(destination=destination):
                anon.subscribe(destination, destination)
                user.send(destination, b"ok", receipt=True)
                message = anon.expect("MESSAGE", destination=destination)
                self.assertEqual(message.headers.get("x-sender"), "nobody-special")
        anon.subscribe("/topic/#", "all")


class AclReloadTest(AclCase):
    """SIGHUP with new rules: sessions holding a subscription the new rules deny get ERROR
    `access revoked` naming it, then close; the others continue."""

    def test_revoked_subscription(self):
        by = self.bystander()
        alice = self.user("alice")
        alice.subscribe("/topic/room.1", "room")
        carol = self.user("carol", "ws")
        carol.subscribe("/topic/vip", "vip")
        bob = self.user("bob")  # member, no subscription: keeps his session
        config = self.broker.config
        rules = [dict(r) for r in config["auth"]["acl"]]
        for rule in rules:
            if rule["destination"] == "/topic/room.*":
                rule["subscribe"] = ["admin"]
        config["auth"] = dict(config["auth"], acl=rules)
        self.reload(config)
        frame = alice.expect_error("access revoked", timeout=10)
        self.assertIn("/topic/room.1", frame.body.decode("utf-8", "replace"), frame)
        carol.send("/topic/vip", b"mine still", receipt=True)
        self.assertEqual(carol.expect("MESSAGE").body, b"mine still")
        bob.send("/topic/room.1", b"send still allowed", receipt=True)
        self.assert_still_works(by)
        # new subscriptions follow the new rules
        self.assert_denied(self.user("dave"), "subscribe", "/topic/room.2", by)

    def test_revoked_wildcard_subscription(self):
        root = self.user("root")
        root.subscribe("/topic/admin.#", "adm")
        config = self.broker.config
        rules = [{"destination": "/topic/admin.audit", "subscribe": [], "send": ["admin"]}]
        config["auth"] = dict(config["auth"], acl=rules + list(config["auth"]["acl"]))
        self.reload(config)
        frame = root.expect_error("access revoked", timeout=10)
        self.assertIn("/topic/admin.#", frame.body.decode("utf-8", "replace"), frame)

    def test_reload_granting_more(self):
        carol = self.user("carol")
        carol.subscribe("/topic/vip", "vip")
        config = self.broker.config
        rules = [dict(r) for r in config["auth"]["acl"]]
        for rule in rules:
            if rule["destination"] == "/topic/vip":
                rule["send"] = ["user:carol", "admin", "member"]
        config["auth"] = dict(config["auth"], acl=rules)
        self.reload(config)

        # dave (member) may now send to vip; a shard may apply the reload just after the log
        # line, so each try is a fresh session until one is allowed
        def dave_sends():
            dave = self.user("dave")
            dave.send_frame("SEND", [("destination", "/topic/vip"), ("receipt", "d")], b"now")
            frame = dave.read_frame(10)
            if frame.command == "ERROR":
                self.assertEqual(frame.headers.get("message"), "access denied", frame)
                return False
            self.assertEqual(frame.command, "RECEIPT", frame)
            return True
        wait_for(dave_sends, 10, "dave allowed to send to /topic/vip", interval=0.05)
        message = carol.expect("MESSAGE", destination="/topic/vip")
        self.assertEqual((message.body, message.headers.get("x-sender")), (b"now", "dave"))

    def test_bad_acl_reload_keeps_the_old_rules(self):
        alice = self.user("alice")
        alice.subscribe("/topic/room.1", "room")
        config = self.broker.config
        rules = [{"destination": "no-leading-slash", "subscribe": [], "send": []}]
        config["auth"] = dict(config["auth"], acl=rules)
        lines = self.reload(config)
        self.assertIn("reload refused", "\n".join(lines[-5:]))
        alice.send("/topic/room.1", b"old rules", receipt=True)
        self.assertEqual(alice.expect("MESSAGE").body, b"old rules")


if __name__ == "__main__":
    unittest.main()
