"""Helpers for the auth, ACL and HTTP publish tests (issue 3, issue 4's publish API).

Tokens come from tests/interop/mint.mjs (the `jose` npm package), never from the broker's own
code. Hand-made tokens here are only the broken ones: alg none, tampered signatures, bad
base64url, wrong segment counts. Passcode hashes come from `stampede --hash-passcode` or from
Python's hashlib (an independent PBKDF2).
"""

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from harness import (INTEROP_DIR, NODE, BrokerTestCase, ConnectionClosed, RawStomp, TcpStream,
                     broker_binary, deadline_s, default_config, wait_for)

MINT = os.path.join(INTEROP_DIR, "mint.mjs")

HMAC_SECRET = "hmac-secret-for-the-tests-0123456789-abcdefghijklmnopqrstuvwxyz"  # 64 bytes
OTHER_SECRET = "another-secret-nobody-configured-0123456789-abcdefghijklmnopqrst"
WATCHER = {"login": "watcher", "passcode": "watcher-pass", "roles": ["watcher"]}
WATCHER_HEADERS = {"login": "watcher", "passcode": "watcher-pass"}

ASYMMETRIC_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                   "ES256", "ES384", "ES512", "EdDSA"]
HMAC_ALGS = ["HS256", "HS384", "HS512"]
ALL_ALGS = HMAC_ALGS + ASYMMETRIC_ALGS


# --------------------------------------------------------------------------- minting


def mint(spec):
    """Runs mint.mjs on `spec` (see its header) and returns its JSON answer."""
    if not os.path.isdir(os.path.join(INTEROP_DIR, "node_modules", "jose")):
        raise AssertionError(f"{INTEROP_DIR}/node_modules/jose missing: run `make npm-deps`")
    proc = subprocess.run([NODE, MINT], input=json.dumps(spec).encode(), cwd=INTEROP_DIR,
                          capture_output=True, timeout=deadline_s(120))
    if proc.returncode != 0:
        raise AssertionError(f"mint.mjs failed ({proc.returncode}): "
                             f"{proc.stderr.decode('utf-8', 'replace')}")
    return json.loads(proc.stdout)


def temp_dir(testcase):
    path = tempfile.mkdtemp(prefix="stampede-auth-")
    testcase.addCleanup(shutil.rmtree, path, True)
    return path


# --------------------------------------------------------------------------- token surgery


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_parts(token):
    header, payload, signature = token.split(".")
    return (json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)),
            b64url_decode(signature))


def forge(header, payload, signature=b""):
    """A compact JWS from parts; header/payload may be dicts (JSON-encoded) or raw bytes."""
    def enc(part):
        return b64url(part if isinstance(part, (bytes, str)) else json.dumps(part))
    return f"{enc(header)}.{enc(payload)}.{b64url(signature)}"


def with_signature(token, signature):
    head, payload, _ = token.split(".")
    return f"{head}.{payload}.{b64url(signature)}"


def _der_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der_integer(raw):
    raw = raw.lstrip(b"\x00") or b"\x00"
    if raw[0] & 0x80:
        raw = b"\x00" + raw
    return b"\x02" + _der_length(len(raw)) + raw


def jose_to_der(signature):
    """An ECDSA JOSE signature (r||s, fixed width) re-encoded as ASN.1 DER, as OpenSSL emits."""
    half = len(signature) // 2
    body = _der_integer(signature[:half]) + _der_integer(signature[half:])
    return b"\x30" + _der_length(len(body)) + body


# --------------------------------------------------------------------------- passcodes


def pbkdf2_hash(passcode, iterations=1000, salt=None):
    """pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>, standard base64, by hashlib."""
    salt = salt if salt is not None else os.urandom(16)
    derived = hashlib.pbkdf2_hmac("sha256", passcode.encode(), salt, iterations, 32)
    return (f"pbkdf2-sha256${iterations}${base64.b64encode(salt).decode()}"
            f"${base64.b64encode(derived).decode()}")


def check_pbkdf2_hash(text, passcode):
    """True when `text` (the broker's format) is a PBKDF2-SHA256 hash of `passcode`."""
    scheme, iterations, salt, digest = text.split("$")
    assert scheme == "pbkdf2-sha256", text
    salt_bytes = base64.b64decode(salt + "=" * (-len(salt) % 4))
    digest_bytes = base64.b64decode(digest + "=" * (-len(digest) % 4))
    derived = hashlib.pbkdf2_hmac("sha256", passcode.encode(), salt_bytes, int(iterations),
                                  len(digest_bytes))
    return derived == digest_bytes


def hash_with_broker(passcode, timeout=60):
    proc = subprocess.run([broker_binary(), "--hash-passcode"], input=passcode.encode(),
                          capture_output=True, timeout=deadline_s(timeout))
    return proc


# --------------------------------------------------------------------------- clients


def tcp_client_from(host_ip, port, timeout=10):
    """A raw TCP STOMP client whose source address is host_ip (another loopback address)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host_ip, 0))
    sock.settimeout(deadline_s(timeout))
    sock.connect(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return RawStomp(TcpStream(sock))


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


RELOAD_RE = re.compile(r"config reloaded from|reload refused")


class AuthCase(BrokerTestCase):
    """A broker with an `auth` section. The bystander and assert_still_works's fresh client log
    in as the plain-passcode service account `watcher` (added to every config), so they work
    whether or not anonymous sessions are on; ACL configs grant `watcher` its topics."""

    bystander_headers = WATCHER_HEADERS

    def auth_config(self):
        return {"anonymous": False, "max_failures_per_minute": 1000}

    def extra_config(self):
        return {}

    def config(self):
        auth = dict(self.auth_config())
        auth["users"] = [WATCHER] + list(auth.get("users", []))
        if auth.get("acl"):
            auth["acl"] = watcher_rules() + list(auth["acl"])
        config = default_config(shards=self.shards, **self.extra_config())
        config["auth"] = auth
        return config

    # -- clients

    def client(self, version="1.2", transport="tcp", heart_beat=None, headers=None, **kwargs):
        c = self.open(transport, **kwargs)
        c.connect(version=version, heart_beat=heart_beat,
                  extra=self.bystander_headers if headers is None else headers)
        return c

    def open(self, transport="tcp", **kwargs):
        if transport == "tcp":
            return self.broker.tcp_client(self, **kwargs)
        return self.broker.ws_client(self, **kwargs)

    def login(self, headers, transport="tcp", version="1.2"):
        """A client connected with these CONNECT headers; fails unless CONNECTED comes."""
        c = self.open(transport)
        c.send_frame("CONNECT", [("accept-version", version), ("host", "127.0.0.1")]
                     + list(headers.items()), content_length=False)
        frame = c.read_frame(10)
        if frame.command != "CONNECTED":
            self.fail(f"CONNECT with {sorted(headers)} refused: {frame!r}")
        c.connected_frame = frame
        return c

    def attempt(self, headers, transport="tcp"):
        """CONNECTs once; returns None when CONNECTED (then disconnects), else the ERROR
        message (after checking the broker closed the connection)."""
        c = self.open(transport)
        c.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "127.0.0.1")]
                     + list(headers.items()), content_length=False)
        frame = c.read_frame(10)
        if frame.command == "CONNECTED":
            c.disconnect()
            return None
        self.assertEqual(frame.command, "ERROR", frame)
        c.wait_closed()
        return frame.headers.get("message")

    def assert_refused(self, headers, message, transport="tcp", bystander=True):
        """CONNECT with `headers` gets ERROR `message` then a close, and a client connected
        before it (and a fresh one) go on working. bystander: True (a new one), False, or a
        connected client subscribed to /topic/bystander. Returns the ERROR frame."""
        by = self.bystander() if bystander is True else (bystander or None)
        c = self.open(transport)
        c.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "127.0.0.1")]
                     + list(headers.items()), content_length=False)
        frame = c.expect_error(message, timeout=10)
        if by is not None:
            self.assert_still_works(by)
        return frame

    def senders(self, client, destination=None):
        """Every x-sender the broker put on a MESSAGE `client` sent to itself (with a forged
        x-sender of its own, which the broker must drop)."""
        destination = destination or f"/topic/whoami.{uuid.uuid4().hex[:8]}"
        sub = f"who-{uuid.uuid4().hex[:6]}"
        client.subscribe(destination, sub)
        client.send(destination, b"who am i", headers={"x-sender": "forged-by-client"},
                    receipt=True)
        message = client.expect("MESSAGE", destination=destination, timeout=10)
        client.unsubscribe(sub)
        return [value for name, value in message.header_list if name == "x-sender"]

    def assert_principal(self, client, principal, destination=None):
        self.assertEqual(self.senders(client, destination), [principal],
                         f"x-sender of a MESSAGE from {principal}")

    # -- reloads

    def reload(self, config=None, text=None):
        """Rewrites the config (when given), sends SIGHUP and waits for the broker's verdict
        line; returns the new output lines."""
        if config is not None or text is not None:
            self.broker.write_config(config, text)
        before = len(self.broker.wait_log_count(RELOAD_RE, 0))
        self.broker.signal(signal.SIGHUP)
        self.broker.wait_log_count(RELOAD_RE, before + 1, timeout=20, what="reload verdict")
        return self.broker.output().splitlines()

    def wait_attempt(self, headers, expected, timeout=10, what=None):
        """Polls CONNECTs until one ends as expected (None = CONNECTED, else the ERROR
        message): after SIGHUP the log line may come before a shard applies the change."""
        seen = []

        def check():
            outcome = self.attempt(headers)
            seen.append(outcome)
            return outcome == expected
        try:
            wait_for(check, timeout, what or f"CONNECT outcome {expected!r}", interval=0.05)
        except AssertionError as e:
            raise AssertionError(f"{e}; outcomes seen: {seen[-5:]!r}") from None


def watcher_rules():
    """ACL rules for the bystander's topics (first, so they never shadow a test's rules)."""
    return [{"destination": d, "subscribe": ["watcher"], "send": ["watcher"]}
            for d in ("/topic/bystander", "/topic/fresh")]


def hmac_issuer(name="hmac", issuer="https://hmac.example", **extra):
    out = {"name": name, "issuer": issuer, "algorithms": ["HS256"],
           "keys": {"secret": HMAC_SECRET}}
    out.update(extra)
    return out


def hs_token_spec(claims, secret=HMAC_SECRET, alg="HS256", **extra):
    """A token spec for mint() signed with an HMAC secret."""
    spec = {"alg": alg, "secret": secret, "claims": claims}
    spec.update(extra)
    return spec


def mint_hs(claims, secret=HMAC_SECRET, alg="HS256", **extra):
    return mint(hs_token_spec(claims, secret, alg, **extra))["token"]


def mint_many(specs):
    """Several HMAC tokens in one node run: specs are dicts like hs_token_spec's."""
    keys = {}
    tokens = []
    for spec in specs:
        spec = dict(spec)
        key_name = f"{spec.pop('alg')}:{spec.pop('secret')}"
        if key_name not in keys:
            alg, secret = key_name.split(":", 1)
            keys[key_name] = {"alg": alg, "secret": secret, "kid": None}
        spec["key"] = key_name
        tokens.append(spec)
    return mint({"keys": keys, "tokens": tokens})["tokens"]

