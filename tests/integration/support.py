"""Where things are (the source tree, the broker binary, Node) and time: deadlines scaled for
slow (sanitizer) builds, and polling a condition until one. Nothing here sleeps for a fixed
time."""

import os
import time
import unittest

SOURCE_DIR = os.environ.get(
    "STAMPEDE_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
INTEROP_DIR = os.path.join(SOURCE_DIR, "tests", "interop")
NODE = os.environ.get("STAMPEDE_NODE", "node")


def broker_binary():
    path = os.environ.get("STAMPEDE_BIN", os.path.join(SOURCE_DIR, "build", "stampede"))
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"no broker binary at {path} (set STAMPEDE_BIN)")
    return path


def slow_factor():
    """Sanitizer builds run ~3x slower: deadlines scale with this."""
    try:
        return float(os.environ.get("STAMPEDE_TIME_FACTOR", "1"))
    except ValueError:
        return 1.0


def deadline_s(seconds):
    return seconds * max(1.0, slow_factor())


def wait_for(predicate, timeout, what="condition", interval=0.005):
    """Polls predicate() until it returns a truthy value or the deadline passes."""
    end = time.monotonic() + deadline_s(timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {deadline_s(timeout):.1f}s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------- YAML config
