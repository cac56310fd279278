"""Ops basics: --version, --check-config (file:line), SIGTERM drain (ERROR to clients, /health
503, exit within shutdown.drain_s), SIGHUP reload of limits, ${ENV} and K_file, GET /health."""

import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

from harness import (SOURCE_DIR, BrokerProcess, BrokerTestCase, broker_binary, deadline_s,
                     default_config, encode_frame, to_yaml)


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(stampede VERSION (\S+)", f.read()).group(1).rstrip(")")


def run(*args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([broker_binary(), *args], capture_output=True, text=True,
                          timeout=deadline_s(30), env=full_env)


class CommandLineTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="stampede-ops-")
        self.addCleanup(self.tmp.cleanup)

    def write(self, text, name="stampede.yaml"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_version(self):
        out = run("--version")
        self.assertEqual(out.returncode, 0)
        self.assertEqual(out.stdout.strip(), f"stampede {project_version()}")

    def test_check_config_good(self):
        out = run("--check-config", self.write(to_yaml(default_config()) + "\n"))
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_check_config_shipped_file(self):
        out = run("--check-config", os.path.join(SOURCE_DIR, "etc", "stampede.yaml"))
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_check_config_reports_every_error_with_file_and_line(self):
        path = self.write(
            "listeners:\n"                                               # 1
            "  - name: web\n"                                            # 2
            "    protocol: ws\n"                                         # 3
            "    port: 70000\n"                                          # 4  out of range
            "limits:\n"                                                  # 5
            "  max_frames: 10\n"                                         # 6  unknown key
            "  slow_consumer: sometimes\n"                               # 7  bad enum
            "heartbeat:\n"                                               # 8
            "  server_min_ms: ${STAMPEDE_TEST_SURELY_UNSET_VAR}\n")          # 9  unset variable
        self.assertNotIn("STAMPEDE_TEST_SURELY_UNSET_VAR", os.environ)
        out = run("--check-config", path)
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        text = out.stdout + out.stderr
        for line in (4, 6, 7, 9):
            self.assertRegex(text, re.escape(f"{path}:{line}:") + r" \S",
                             f"no error reported at line {line}:\n{text}")
        self.assertIn("max_frames", text)
        self.assertIn("STAMPEDE_TEST_SURELY_UNSET_VAR", text)

    def test_check_config_unparsable_yaml(self):
        path = self.write("listeners:\n  - name: web\n    port: [1, 2\n")
        out = run("--check-config", path)
        self.assertEqual(out.returncode, 2)
        self.assertRegex(out.stdout + out.stderr, re.escape(path) + r":\d+: \S")

    def test_check_config_missing_file(self):
        out = run("--check-config", os.path.join(self.tmp.name, "nope.yaml"))
        self.assertEqual(out.returncode, 2)
        self.assertIn("nope.yaml", out.stdout + out.stderr)

    PLANNED_FEATURES = (
        "listeners:\n"                                               # 1
        "  - name: web\n"                                            # 2
        "http:\n"                                                    # 3
        "  static_dir: /srv/www\n"                                   # 4
        "destinations:\n"                                            # 5
        "  rooms:\n"                                                 # 6
        "    - { pattern: \"/topic/room.*\", presence: true }\n"    # 7
        "cluster: { redis: { url: \"redis://127.0.0.1:1\" } }\n")   # 8

    def test_check_config_refuses_planned_features(self):
        """Keys of features not built yet are refused at their line, not silently ignored."""
        path = self.write(self.PLANNED_FEATURES)
        out = run("--check-config", path)
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        text = out.stdout + out.stderr
        self.assertIn(f"{path}:4: http.static_dir is not supported yet", text)
        # Presence on a cluster is built: line 7 is accepted.
        self.assertNotIn(f"{path}:7:", text)

    def test_start_refuses_planned_features(self):
        path = self.write(self.PLANNED_FEATURES)
        out = run("--config", path)
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn(f"{path}:4: http.static_dir is not supported yet", out.stdout + out.stderr)

    def test_start_with_bad_config_fails(self):
        path = self.write("listeners:\n  - name: web\n    colour: blue\n")
        out = run("--config", path)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn(f"{path}:3:", out.stdout + out.stderr)


class PortInUseTest(unittest.TestCase):
    """A second broker on a port the first already serves refuses to start (issue 9): with
    SO_REUSEPORT it would otherwise share the port, and the kernel would split clients
    between two brokers that never meet."""

    def test_second_instance_on_the_same_port_exits_and_the_first_keeps_serving(self):
        first = BrokerProcess(default_config(shards=2)).start(self)
        for name in ("web", "backend"):
            with self.subTest(listener=name):
                config = default_config(shards=2)
                port = first.ports[name]
                for listener in config["listeners"]:
                    listener["port"] = port if listener["name"] == name else 0
                second = BrokerProcess(config)
                second.write_config()
                out = subprocess.run([broker_binary(), "--config", second.config_path],
                                     capture_output=True, text=True, timeout=deadline_s(30))
                self.assertNotEqual(out.returncode, 0)
                self.assertIn(f"listener {name}: 127.0.0.1:{port} is already in use",
                              out.stdout + out.stderr)
        # The first one never noticed: every connection still reaches it and they meet.
        for _ in range(10):
            subscriber = first.ws_client(self)
            subscriber.connect()
            subscriber.subscribe("/topic/one", "s")
            publisher = first.tcp_client(self)
            publisher.connect()
            publisher.send("/topic/one", b"same broker", receipt=True)
            self.assertEqual(subscriber.expect("MESSAGE").body, b"same broker")


def oversized_send(size=4096):
    return encode_frame("SEND", [("destination", "/topic/ops")], b"o" * size)


class EnvironmentTest(unittest.TestCase):

    def test_env_interpolation(self):
        text = to_yaml(default_config()) + "\nlimits:\n  max_frame_bytes: ${STAMPEDE_TEST_MFB}\n"
        text = text.replace('host: "127.0.0.1"', "host: ${STAMPEDE_TEST_HOST}")
        broker = BrokerProcess(config_text=text,
                               env={"STAMPEDE_TEST_MFB": "2048", "STAMPEDE_TEST_HOST": "127.0.0.1"})
        broker.start(self)
        self.assertEqual(broker.hosts["backend"], "127.0.0.1")
        self.assert_limit_is_2048(broker)

    def test_key_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("2048\n")
        self.addCleanup(os.unlink, f.name)
        config = default_config(limits={"max_frame_bytes_file": f.name})
        broker = BrokerProcess(config).start(self)
        self.assert_limit_is_2048(broker)

    def assert_limit_is_2048(self, broker):
        ok = broker.tcp_client(self)
        ok.connect()
        ok.send("/topic/ops", b"s" * 1500, receipt=True)
        bad = broker.tcp_client(self)
        bad.connect()
        bad.send_bytes(oversized_send(3000))
        bad.expect_error("max_frame_bytes exceeded")


class HealthTest(BrokerTestCase):

    def test_health(self):
        status, body = self.broker.http_get("/health")
        self.assertEqual(status, 200)
        self.assertEqual(body.strip(), b"ok")

    def test_unknown_http_path_is_not_ok(self):
        status, _ = self.broker.http_get("/no/such/path")
        self.assertEqual(status, 404)


class SignalTest(BrokerTestCase):

    def config(self):
        return default_config(shutdown={"drain_s": 2})

    def test_sigterm_drains(self):
        tcp = self.client()
        ws = self.client(transport="ws")
        # a subscriber that never reads, with a backlog: it keeps the drain busy until drain_s
        stuck = self.broker.tcp_client(self, rcvbuf=4096)
        stuck.connect()
        stuck.subscribe("/topic/stuck", "s")
        pub = self.client()
        for _ in range(64):
            pub.send("/topic/stuck", b"b" * 32768)
        pub.sync()
        self.broker.expect_exit = True
        start = time.monotonic()
        self.broker.signal(signal.SIGTERM)
        for client in (tcp, ws, pub):
            client.expect_error("server shutting down")
        statuses = []
        while self.broker.proc.poll() is None:
            try:
                statuses.append(self.broker.http_get("/health", timeout=1)[0])
            except OSError:
                break
            time.sleep(0.05)  # polling interval while waiting for the exit
        self.assertIn(503, statuses, "no 503 from /health while draining")
        self.assertNotIn(200, statuses, "/health said ok while draining")
        status = self.broker.wait_exit(deadline_s(10))
        took = time.monotonic() - start
        self.assertIsNotNone(status, "broker did not exit")
        self.assertEqual(status, 0)
        self.assertLess(took, 2 + deadline_s(1.5), f"exit took {took:.2f}s with drain_s 2")

    def test_sigint_with_no_clients_exits_promptly(self):
        self.broker.expect_exit = True
        start = time.monotonic()
        self.broker.signal(signal.SIGINT)
        self.assertEqual(self.broker.wait_exit(deadline_s(5)), 0)
        self.assertLess(time.monotonic() - start, deadline_s(1.5))

    def test_new_stomp_sessions_refused_while_draining(self):
        stuck = self.broker.tcp_client(self, rcvbuf=4096)
        stuck.connect()
        stuck.subscribe("/topic/stuck", "s")
        pub = self.client()
        for _ in range(64):
            pub.send("/topic/stuck", b"b" * 32768)
        pub.sync()
        self.broker.expect_exit = True
        self.broker.signal(signal.SIGTERM)
        pub.expect_error("server shutting down")
        # the WebSocket listener stays up for /health but takes no new STOMP session
        try:
            late = self.broker.ws_client(self)
        except (OSError, AssertionError, ConnectionError):
            return  # upgrade refused: fine
        try:
            late.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "h")],
                            content_length=False)
            frame = late.try_read_frame(deadline_s(3))
        except OSError:
            frame = None
        if frame is not None:
            self.assertNotEqual(frame.command, "CONNECTED", "a new session while draining")


class ReloadTest(BrokerTestCase):

    def listening_lines(self):
        return len(re.findall(r"listening on ", self.broker.output()))

    def reload(self, config=None, text=None):
        before = self.listening_lines()
        self.broker.write_config(config, text)
        self.broker.signal(signal.SIGHUP)
        return before

    def wait_limit_applied(self):
        """Polls with fresh connections until a 3000-byte frame is refused (reload applied)."""
        end = time.monotonic() + deadline_s(10)
        while True:
            probe = self.broker.tcp_client(self)
            probe.connect()
            # To its own destination: before the reload applies, the probe's big SEND is
            # delivered, and the test's subscribers must not see it.
            probe.send_bytes(encode_frame("SEND", [("destination", "/topic/probe")], b"o" * 3000)
                             + encode_frame(
                "SEND", [("destination", "/topic/probe"), ("receipt", "p")], b""))
            frame = probe.read_frame()
            probe.close()
            if frame.command == "ERROR":
                self.assertEqual(frame.headers.get("message"), "max_frame_bytes exceeded")
                return
            self.assertEqual(frame.command, "RECEIPT", frame)
            self.assertLess(time.monotonic(), end, "the reloaded limit never applied")
            time.sleep(0.02)  # polling interval

    def test_sighup_lowers_max_frame_bytes_without_dropping_connections(self):
        old = self.client()
        old.subscribe("/topic/ops", "o")
        old.send_bytes(oversized_send(3000))
        self.assertEqual(len(old.expect("MESSAGE").body), 3000)
        self.reload(default_config(limits={"max_frame_bytes": 2048}))
        self.wait_limit_applied()
        old.sync()  # not dropped by the reload
        other = self.client()
        other.send("/topic/ops", b"small", receipt=True)
        self.assertEqual(old.expect("MESSAGE").body, b"small")
        old.send_bytes(oversized_send(3000))  # the new limit applies to old connections too
        old.expect_error("max_frame_bytes exceeded")
        other.sync()

    def test_reload_logs_listening_lines_again(self):
        """DESIGN.md: every start and reload logs one `listening on` line per listener."""
        before = self.reload(default_config(limits={"max_frame_bytes": 2048}))
        self.wait_limit_applied()
        self.broker.wait_log_count(r"listening on ", before + 2, timeout=5,
                                   what="`listening on` lines after the reload")

    def test_bad_file_on_sighup_keeps_the_old_config(self):
        c = self.client()
        self.reload(text="limits:\n  max_frame_bytes: 2048\n  no_such_limit: 1\n")
        # the refusal is logged as file:line: message
        self.broker.wait_log_count(re.escape(self.broker.config_path) + r":3: .*no_such_limit", 1,
                                   what="the reload error")
        self.assertIsNone(self.broker.proc.poll(), "broker exited on a bad reload")
        c.sync()
        c.subscribe("/topic/ops", "o")
        c.send_bytes(oversized_send(3000))  # the old 1 MiB limit still applies
        self.assertEqual(len(c.expect("MESSAGE").body), 3000)

    def test_planned_feature_on_sighup_is_refused_and_the_old_config_stays(self):
        c = self.client()
        self.reload(text=to_yaml(default_config(limits={"max_frame_bytes": 2048}))
                    + "\nhttp:\n  static_dir: /tmp\n")
        self.broker.wait_log_count(
            re.escape(self.broker.config_path) + r":\d+: http.static_dir is not "
            r"supported yet", 1, what="the reload error")
        self.broker.wait_log_count(r"reload refused", 1)
        self.assertIsNone(self.broker.proc.poll(), "broker exited on a refused reload")
        c.subscribe("/topic/ops", "o")
        c.send_bytes(oversized_send(3000))  # the refused file's 2048 limit did not apply
        self.assertEqual(len(c.expect("MESSAGE").body), 3000)


if __name__ == "__main__":
    unittest.main()
