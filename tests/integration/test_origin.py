"""WebSocket Origin allow-list (issue #3): a listed Origin upgrades, any other gets 403,
and the listener keeps serving."""

import socket
import unittest

from harness import BrokerTestCase, default_config, deadline_s


def upgrade_status(port, origin):
    with socket.create_connection(("127.0.0.1", port), timeout=deadline_s(5)) as s:
        lines = ["GET /ws HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                 "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: v12.stomp"]
        if origin is not None:
            lines.append(f"Origin: {origin}")
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n")[0].decode()


class OriginTest(BrokerTestCase):
    def config(self):
        config = default_config()
        config["listeners"][0]["allowed_origins"] = ["https://chat.example.com"]
        return config

    def test_listed_origin_upgrades_others_get_403(self):
        port = self.broker.ws_port
        self.assertIn(" 101 ", upgrade_status(port, "https://chat.example.com"))
        self.assertIn(" 403 ", upgrade_status(port, "https://evil.example.com"))
        self.assertIn(" 403 ", upgrade_status(port, "null"))
        self.assertIn(" 101 ", upgrade_status(port, None))  # not a browser: no hijack possible
        self.assertIn(" 101 ", upgrade_status(port, "https://chat.example.com"))
        self.assertEqual(self.broker.http_get("/health"), (200, b"ok"))


if __name__ == "__main__":
    unittest.main()
