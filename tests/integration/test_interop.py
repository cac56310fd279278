"""@stomp/stompjs 7 and `ws` (Node) against the real broker: runs each tests/interop/*.test.mjs
(node:test) with STAMPEDE_WS_URL pointing at a fresh broker."""

import glob
import os
import unittest

from harness import (INTEROP_DIR, BrokerTestCase, assert_node_tests_pass, default_config,
                     node_available)


class InteropTest(BrokerTestCase):

    def config(self):
        return default_config(heartbeat={"server_min_ms": 100, "client_min_ms": 100, "grace": 2.0})

    def setUp(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)  # `make test` runs `make npm-deps` first: missing deps are a failure
        super().setUp()

    def run_scenario(self, script):
        assert_node_tests_pass(self, script, {"STAMPEDE_WS_URL": self.broker.ws_url})

def _add(script):
    name = "test_" + os.path.basename(script).replace(".test.mjs", "").replace("-", "_")
    setattr(InteropTest, name, lambda self: self.run_scenario(script))


for _script in sorted(glob.glob(os.path.join(INTEROP_DIR, "*.test.mjs"))):
    _add(_script)

if __name__ == "__main__":
    unittest.main()
