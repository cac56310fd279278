"""limits.connect_timeout_ms: a connection that never sends CONNECT is closed with ERROR
`connect timeout`; connected clients are not affected."""

import unittest

from harness import BrokerTestCase, default_config


class ConnectTimeoutTest(BrokerTestCase):
    def config(self):
        return default_config(limits={"connect_timeout_ms": 300})

    def test_silent_connections_are_closed(self):
        bystander = self.bystander()
        for transport in ("tcp", "ws"):
            silent = (self.broker.tcp_client(self) if transport == "tcp"
                      else self.broker.ws_client(self))
            silent.expect_error("connect timeout", timeout=5)
            silent.wait_closed()
        self.assert_still_works(bystander)

    def test_a_timely_connect_stays(self):
        c = self.client()
        # Longer than the timeout: the connection must still work.
        self.assertIsNone(c.try_read_frame(0.6))
        c.sync()


if __name__ == "__main__":
    unittest.main()
