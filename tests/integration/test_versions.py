"""Version negotiation by accept-version (none means 1.0) and header escaping per version:
what each subscriber gets on the wire, byte for byte."""

import unittest

from harness import BrokerTestCase, encode_frame


class NegotiationTest(BrokerTestCase):

    def test_accept_version(self):
        for offered, chosen in ((None, "1.0"), ("1.0", "1.0"), ("1.1", "1.1"), ("1.2", "1.2"),
                                ("1.0,1.1,1.2", "1.2"), ("1.2,1.1", "1.2"), ("1.1,1.0", "1.1"),
                                ("1.1,2.0", "1.1"), ("1.0,9.9", "1.0"), ("2.1,1.2", "1.2")):
            with self.subTest(accept_version=offered):
                c = self.broker.tcp_client(self)
                frame = c.connect(version=offered)
                self.assertEqual(frame.headers.get("version"), chosen)
                c.sync()
                c.close()

    def test_stomp_command_with_each_version(self):
        for version in ("1.0", "1.1", "1.2"):
            with self.subTest(version=version):
                c = self.broker.tcp_client(self)
                frame = c.connect(version=version, command="STOMP")
                self.assertEqual(frame.headers.get("version"), version)
                c.close()


class EscapingTest(BrokerTestCase):

    def setUp(self):
        super().setUp()
        self.subs = {}
        for version in ("1.0", "1.1", "1.2"):
            c = self.client(version=version)
            c.request(("SUBSCRIBE", [("destination", "/topic/esc"), ("id", "e" + version)]))
            self.subs[version] = c

    def publish(self, version, header_lines):
        """Sends a SEND whose extra header lines are given raw (already escaped as wanted)."""
        pub = self.client(version=version)
        raw = b"SEND\ndestination:/topic/esc\n" + b"".join(l + b"\n" for l in header_lines) \
            + b"\nbody\x00"
        pub.send_bytes(raw)
        return {v: c.expect("MESSAGE") for v, c in self.subs.items()}

    def raw_values(self, frame, name):
        return [value for n, value in frame.header_list if n == name]

    def test_1_2_escapes_reach_each_version(self):
        # value: a:b<LF>c\d
        got = self.publish("1.2", [b"x-esc:a\\cb\\nc\\\\d"])
        self.assertEqual(self.raw_values(got["1.2"], "x-esc")[0], "a\\cb\\nc\\\\d")
        self.assertEqual(self.raw_values(got["1.1"], "x-esc")[0], "a\\cb\\nc\\\\d")

    def test_1_2_carriage_return_escape(self):
        got = self.publish("1.2", [b"x-cr:a\\rb"])
        self.assertEqual(self.raw_values(got["1.2"], "x-cr")[0], "a\\rb")

    def test_1_0_has_no_escaping(self):
        # In 1.0 a backslash is just a byte, and the value is everything after the first colon.
        got = self.publish("1.0", [b"x-raw:a\\cb", b"x-colon:a:b"])
        self.assertEqual(self.raw_values(got["1.0"], "x-raw")[0], "a\\cb")
        self.assertEqual(self.raw_values(got["1.0"], "x-colon")[0], "a:b")
        # the same values escaped for 1.1 and 1.2 subscribers
        for version in ("1.1", "1.2"):
            self.assertEqual(self.raw_values(got[version], "x-raw")[0], "a\\\\cb", version)
            self.assertEqual(self.raw_values(got[version], "x-colon")[0], "a\\cb", version)

    def test_1_1_escapes(self):
        got = self.publish("1.1", [b"x-esc:one\\ctwo\\\\"])
        self.assertEqual(self.raw_values(got["1.1"], "x-esc")[0], "one\\ctwo\\\\")
        self.assertEqual(self.raw_values(got["1.2"], "x-esc")[0], "one\\ctwo\\\\")
        self.assertEqual(self.raw_values(got["1.0"], "x-esc")[0], "one:two\\")

    def test_escaped_header_name(self):
        got = self.publish("1.2", [b"x\\cname:v"])
        self.assertEqual(self.raw_values(got["1.2"], "x\\cname"), ["v"])

    def test_repeated_header_first_wins(self):
        got = self.publish("1.2", [b"x-dup:first", b"x-dup:second"])
        for version, frame in got.items():
            self.assertEqual(self.raw_values(frame, "x-dup")[0], "first", version)

    def test_whitespace_is_kept_in_1_2(self):
        got = self.publish("1.2", [b"x-space: padded "])
        self.assertEqual(self.raw_values(got["1.2"], "x-space")[0], " padded ")

    def test_escaped_destination(self):
        sub = self.client()
        sub.subscribe("/topic/a\\cb", "colon")  # escaped, value /topic/a:b
        pub = self.client()
        pub.send_bytes(encode_frame("SEND", [("destination", "/topic/a\\cb")], b"c"))
        msg = sub.expect("MESSAGE")
        self.assertEqual(self.raw_values(msg, "destination"), ["/topic/a\\cb"])


if __name__ == "__main__":
    unittest.main()
