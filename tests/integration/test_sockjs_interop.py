"""The real sockjs-client from npm with @stomp/stompjs 7 against SockJS on the broker
(tests/interop/sockjs_client.scenario.mjs): websocket, xhr-streaming, xhr-polling and
eventsource forced one at a time, on two shards so the xhr requests of one session land on both."""

import unittest

from harness import BrokerTestCase, assert_node_tests_pass, node_available
from sockjs_support import PREFIX, sockjs_config


class SockjsClientTest(BrokerTestCase):

    def config(self):
        return sockjs_config(shards=2)

    def setUp(self):
        ok, why = node_available()
        if not ok:
            self.fail(why)
        super().setUp()

    def test_sockjs_client_with_stompjs(self):
        port = self.broker.ws_port
        assert_node_tests_pass(self, "sockjs_client.scenario.mjs", {
            "STAMPEDE_SOCKJS_URL": f"http://127.0.0.1:{port}{PREFIX}",
            "STAMPEDE_WS_URL": self.broker.ws_url,
        }, timeout=240)


if __name__ == "__main__":
    unittest.main()
