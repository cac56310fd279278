"""Node scenarios: @stomp/stompjs and friends run by node from tests/interop."""

import json
import os
import subprocess
import threading
import time

from support import INTEROP_DIR, NODE, deadline_s

# --------------------------------------------------------------------------- Node scenarios

def node_available():
    if not os.path.isdir(os.path.join(INTEROP_DIR, "node_modules", "@stomp", "stompjs")):
        return False, f"{INTEROP_DIR}/node_modules missing: run `make npm-deps`"
    try:
        subprocess.run([NODE, "--version"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return False, f"node not runnable: {e}"
    return True, ""


def run_node(script, args=(), env=None, timeout=120):
    """Runs tests/interop/<script> to completion; returns the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([NODE, os.path.join(INTEROP_DIR, script), *args],
                          cwd=INTEROP_DIR, env=full_env, capture_output=True,
                          timeout=deadline_s(timeout))


def assert_node_tests_pass(testcase, script, env, timeout=120):
    """Runs tests/interop/<script> with node:test and fails `testcase` unless every test in it
    ran and passed (at least one)."""
    full_env = dict(os.environ)
    full_env.update(env)
    proc = subprocess.run([NODE, "--test", "--test-reporter=spec", script], cwd=INTEROP_DIR,
                          env=full_env, capture_output=True, timeout=deadline_s(timeout))
    output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    print(output)
    testcase.assertEqual(proc.returncode, 0, f"{script} failed:\n{output}")
    testcase.assertRegex(output, r"pass [1-9]", "no node test ran")
    testcase.assertRegex(output, r"fail 0", output)


class NodePeer:
    """A long-running node helper that talks JSON lines on stdout (tests/interop/peer.mjs)."""

    def __init__(self, testcase, script, args=(), env=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([NODE, os.path.join(INTEROP_DIR, script), *args],
                                     cwd=INTEROP_DIR, env=full_env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.events = []
        self.stderr = []
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        testcase.addCleanup(self.kill)

    def _pump(self):
        for raw in iter(self.proc.stdout.readline, b""):
            try:
                event = json.loads(raw)
            except ValueError:
                event = {"event": "text", "text": raw.decode("utf-8", "replace")}
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _pump_err(self):
        for raw in iter(self.proc.stderr.readline, b""):
            self.stderr.append(raw.decode("utf-8", "replace"))

    def wait_event(self, name, timeout=20):
        end = time.monotonic() + deadline_s(timeout)
        with self._cond:
            while True:
                for event in self.events:
                    if event.get("event") == name:
                        return event
                if self.proc.poll() is not None and not any(
                        e.get("event") == name for e in self.events):
                    # let the pump thread catch up with the last lines
                    self._cond.wait(0.2)
                    if not any(e.get("event") == name for e in self.events):
                        raise AssertionError(
                            f"node peer exited ({self.proc.returncode}) before {name}: "
                            f"{self.events!r}\n{''.join(self.stderr)}")
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"node peer: no {name} event: {self.events!r}\n"
                                         + "".join(self.stderr))
                self._cond.wait(min(left, 0.1))

    def command(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


# --------------------------------------------------------------------------- test base
