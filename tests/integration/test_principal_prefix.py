"""auth.jwt[].principal_prefix (DESIGN.md "Identity and access", issue 13): two issuers whose
ids overlap, as a Laravel app's `users` and `members` guards do, give two principals. A user 7
and a member 7 are two members in a presence room, each has its own /user/ queue, and
x-sender and CONNECTED's user-name say which one sent."""

import json

from auth_support import AuthCase, bearer, hmac_issuer, mint_many, HMAC_SECRET

USERS_ISS = "https://users.example"
MEMBERS_ISS = "https://members.example"


def header(frame, name):
    """A STOMP 1.2 header value with its escapes undone (':' travels as \\c)."""
    value = frame.headers.get(name)
    if value is None:
        return None
    return value.replace("\\c", ":").replace("\\\\", "\\")


class PrincipalPrefixTest(AuthCase):

    @classmethod
    def setUpClass(cls):
        specs = [{"alg": "HS256", "secret": HMAC_SECRET, "claims": {"sub": "7", "iss": iss}}
                 for iss in (USERS_ISS, MEMBERS_ISS)]
        cls.user_token, cls.member_token = mint_many(specs)

    def auth_config(self):
        return {"anonymous": True, "max_failures_per_minute": 1000,
                "jwt": [hmac_issuer("users", USERS_ISS, principal_prefix="user:"),
                        hmac_issuer("members", MEMBERS_ISS, principal_prefix="member:")]}

    def extra_config(self):
        return {"destinations": {"rooms": [{"pattern": "/topic/room.*", "presence": True}]}}

    def test_equal_ids_of_two_issuers_are_two_principals(self):
        user = self.login(bearer(self.user_token))
        member = self.login(bearer(self.member_token))
        self.assertEqual(header(user.connected_frame, "user-name"), "user:7")
        self.assertEqual(header(member.connected_frame, "user-name"), "member:7")

        # Presence: two members, not one member with two subscriptions.
        user.subscribe("/topic/room.a", "r")
        enter = user.expect("MESSAGE")
        self.assertEqual((header(enter, "x-user"), enter.headers["x-user-count"]), ("user:7", "1"))
        member.subscribe("/topic/room.a", "r")
        enter = user.expect("MESSAGE")
        self.assertEqual((header(enter, "x-presence"), header(enter, "x-user")),
                         ("enter", "member:7"))
        self.assertEqual(enter.headers["x-user-count"], "2")
        self.assertEqual(json.loads(enter.body)["user"], "member:7")
        member.expect("MESSAGE")  # its own enter

        member.send("/topic/room.a", b"from the member", receipt=True)
        for c in (user, member):
            message = c.expect("MESSAGE")
            self.assertEqual(message.body, b"from the member")
            self.assertEqual(header(message, "x-sender"), "member:7")

        # /user/ queues: one each; the bare id names neither.
        user.subscribe("/user/queue/inbox", "q")
        member.subscribe("/user/queue/inbox", "q")
        sender = self.client(headers={})  # anonymous; no ACL, so it may send anywhere
        sender.send("/user/member:7/queue/inbox", b"for the member", receipt=True)
        sender.send("/user/7/queue/inbox", b"for nobody here", receipt=True)
        sender.send("/user/user:7/queue/inbox", b"for the user", receipt=True)
        got = member.expect("MESSAGE")
        self.assertEqual((got.body, got.headers["destination"]),
                         (b"for the member", "/user/queue/inbox"))
        # The user's queue got only its own message: the member's came to the member alone.
        self.assertEqual(user.expect("MESSAGE").body, b"for the user")
        member.send("/topic/room.a", b"marker", receipt=True)
        self.assertEqual(member.expect("MESSAGE").body, b"marker")  # nothing else came first
        self.assertEqual(user.expect("MESSAGE").body, b"marker")

        # The member leaves: the user stays, alone.
        member.disconnect()
        leave = user.expect("MESSAGE")
        self.assertEqual((header(leave, "x-presence"), header(leave, "x-user")),
                         ("leave", "member:7"))
        self.assertEqual(leave.headers["x-user-count"], "1")
        for c in (user, sender):
            c.disconnect()
