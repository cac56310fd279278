"""SockJS on a ws listener (sockjs.prefix), checked over raw HTTP and WebSocket against the
SockJS protocol: /info, the greeting and 404s, the open/heartbeat/array/close frames, xhr-
polling, xhr-streaming (prelude, response limit), eventsource, xhr_send's errors, one receiver per
session (2010), the close codes 3000 and 1002, the SockJS and raw websocket transports, and
STOMP between a SockJS session and a plain WebSocket client. Two shards, so consecutive
requests of one session land on both."""

import json
import socket
import time
import unittest

from harness import BrokerProcess, BrokerTestCase, deadline_s, wait_for
from raw_stomp import RawStomp
from sockjs_support import (PREFIX, Session, StreamingReceiver, new_session_url, parse_frames,
                            request, sockjs_config, sockjs_websocket, stomp_commands,
                            stomp_frame, stomp_json, ws_recv_text)

NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0"


class SockjsHttpTest(BrokerTestCase):

    def config(self):
        return sockjs_config(sockjs={"heartbeat_ms": 400, "streaming_limit_bytes": 4096})

    def get(self, path, **kwargs):
        return request(self.broker.ws_port, "GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return request(self.broker.ws_port, "POST", path, body=body, **kwargs)

    def test_info_is_json_with_the_protocol_fields_and_fresh_entropy(self):
        status, headers, body = self.get(PREFIX + "/info")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"].replace(" ", ""), "application/json;charset=UTF-8")
        self.assertEqual(headers["cache-control"], NO_CACHE)
        self.assertEqual(headers["access-control-allow-origin"], "*")
        self.assertEqual(headers["access-control-allow-credentials"], "true")
        self.assertNotIn("set-cookie", headers)
        info = json.loads(body)
        self.assertIs(info["websocket"], True)
        self.assertIs(info["cookie_needed"], False)
        self.assertEqual(info["origins"], ["*:*"])
        self.assertIsInstance(info["entropy"], int)
        self.assertTrue(0 <= info["entropy"] < 2**32)
        entropies = {json.loads(self.get(PREFIX + "/info")[2])["entropy"] for _ in range(3)}
        self.assertGreater(len(entropies), 1)

    def test_options_are_cacheable_and_cors(self):
        for path, methods in [("/info", "OPTIONS, GET"), ("/a/b/xhr", "OPTIONS, POST"),
                              ("/a/b/xhr_send", "OPTIONS, POST"),
                              ("/a/b/xhr_streaming", "OPTIONS, POST")]:
            for origin in (None, "http://app.example", "null"):
                headers = {"Origin": origin} if origin else {}
                status, h, body = request(self.broker.ws_port, "OPTIONS", PREFIX + path,
                                          headers=headers)
                self.assertEqual(status, 204, path)
                self.assertEqual(body, b"")
                self.assertIn("public", h["cache-control"])
                self.assertRegex(h["cache-control"], r"max-age=[1-9][0-9]{6}")
                self.assertTrue(h["expires"])
                self.assertGreater(int(h["access-control-max-age"]), 1000000)
                self.assertEqual(h["access-control-allow-methods"], methods)
                expected = origin if origin and origin != "null" else "*"
                self.assertEqual(h["access-control-allow-origin"], expected)

    def test_greeting_and_not_found(self):
        for path in (PREFIX, PREFIX + "/"):
            status, headers, body = self.get(path)
            self.assertEqual((status, body), (200, b"Welcome to SockJS!\n"))
            self.assertEqual(headers["content-type"].replace(" ", ""), "text/plain;charset=UTF-8")
        # ("//" and "///" reach the broker as "/": lws merges repeated slashes in paths.)
        for suffix in ("/a", "/a.html", "/a/a", "/a/a/", "/a/", "/iframe.html",
                       "/a/a/htmlfile", "/a/a/jsonp", "//a/xhr", "/a./a/xhr", "/a/a./xhr",
                       "/./././xhr"):
            self.assertEqual(self.get(PREFIX + suffix)[0], 404, suffix)
            self.assertEqual(self.post(PREFIX + suffix)[0], 404, suffix)
        # A path that only starts like the prefix is not SockJS's.
        self.assertEqual(self.get(PREFIX + "x/info")[0], 404)
        # GET on a receiver is not how the protocol polls.
        self.assertEqual(self.get(PREFIX + "/a/a/xhr")[0], 404)

    def test_websocket_paths_without_an_upgrade(self):
        for path in ("/0/0/websocket", "/websocket"):
            status, _, body = self.get(PREFIX + path)
            self.assertEqual(status, 400)
            self.assertIn(b'Can "Upgrade" only to "WebSocket".', body)
            status, headers, body = self.post(PREFIX + path)
            self.assertEqual(status, 405)
            self.assertEqual(body, b"")

    def test_xhr_polling_carries_a_stomp_session(self):
        s = Session(self.broker.ws_port)
        status, headers, body = request(self.broker.ws_port, "POST", s.url + "/xhr")
        self.assertEqual((status, body), (200, b"o\n"))
        self.assertEqual(headers["content-type"].replace(" ", ""),
                         "application/javascript;charset=UTF-8")
        self.assertEqual(headers["cache-control"], NO_CACHE)
        self.assertEqual(headers["access-control-allow-origin"], "*")
        status, headers, body = s.send_raw(stomp_json(stomp_frame(
            "CONNECT", [("accept-version", "1.2"), ("host", "x")])))
        self.assertEqual((status, body), (204, b""))
        self.assertEqual(headers["content-type"].replace(" ", ""), "text/plain;charset=UTF-8")
        self.assertEqual(headers["cache-control"], NO_CACHE)
        connected = s.poll_until(lambda f: any(c[0] == "CONNECTED" for c in f))[0]
        self.assertEqual(connected[1]["version"], "1.2")
        s.send("SUBSCRIBE", [("destination", "/topic/poll"), ("id", "s1"), ("receipt", "r1")])
        s.poll_until(lambda f: any(c[0] == "RECEIPT" for c in f))
        # Several requests, on whichever shard the kernel picks: the order holds.
        for i in range(6):
            s.send("SEND", [("destination", "/topic/poll")], f"m{i}")
        got = s.poll_until(lambda f: sum(c[0] == "MESSAGE" for c in f) >= 6)
        self.assertEqual([c[2] for c in got if c[0] == "MESSAGE"], [f"m{i}" for i in range(6)])
        s.send("DISCONNECT", [("receipt", "bye")])
        s.poll_until(lambda f: any(c[0] == "RECEIPT" for c in f))

    def test_access_control_request_headers_are_echoed(self):
        url = new_session_url()
        status, h, _ = self.post(url + "/xhr", headers={"Access-Control-Request-Headers": "a, b"})
        self.assertEqual(status, 200)
        self.assertEqual(h["access-control-allow-headers"], "a, b")
        status, h, _ = self.post(new_session_url() + "/xhr")
        self.assertNotIn("access-control-allow-headers", h)

    def test_stomp_between_sockjs_and_plain_websocket(self):
        ws = RawStomp.websocket("127.0.0.1", self.broker.ws_port)
        self.addCleanup(ws.close)
        ws.connect()
        ws.subscribe("/topic/mix", "w1")
        s = Session(self.broker.ws_port)
        s.open_and_connect()
        s.send("SUBSCRIBE", [("destination", "/topic/mix"), ("id", "s1"), ("receipt", "r")])
        s.poll_until(lambda f: any(c[0] == "RECEIPT" for c in f))
        s.send("SEND", [("destination", "/topic/mix"), ("content-type", "text/plain")],
               "from sockjs \u00e9\u2028")
        message = ws.expect("MESSAGE", destination="/topic/mix")
        self.assertEqual(message.body, "from sockjs \u00e9\u2028".encode())
        ws.send("/topic/mix", "from websocket\n\"quoted\"".encode())
        got = s.poll_until(lambda f: any(c[2] == "from websocket\n\"quoted\"" for c in f))
        self.assertTrue(any(c[0] == "MESSAGE" for c in got))

    def test_bad_payloads_on_xhr_send(self):
        s = Session(self.broker.ws_port)
        self.assertEqual(s.poll(), [("o", None)])
        status, _, body = s.send_raw('["x')
        self.assertEqual(status, 500)
        self.assertIn(b"Broken JSON encoding.", body)
        for broken in ('{"a":"b"}', "[1]", '["a"] x', '"a"', '["\\udc00"]'):
            self.assertEqual(s.send_raw(broken)[0], 500, broken)
        status, _, body = s.send_raw("")
        self.assertEqual(status, 500)
        self.assertIn(b"Payload expected.", body)
        # Any content type is accepted, and the session still works.
        for content_type in ("text/plain", "application/json", "T", "text/xml; charset=utf-8"):
            self.assertEqual(s.send_raw('["\\n"]', headers={"Content-Type": content_type})[0],
                             204)
        # To a session that does not exist: 404.
        self.assertEqual(request(self.broker.ws_port, "POST", new_session_url() + "/xhr_send",
                                 body='["a"]')[0], 404)

    def test_server_id_is_ignored_and_a_second_receiver_is_refused(self):
        session_id = new_session_url().rsplit("/", 1)[1]
        first = Session(self.broker.ws_port, f"{PREFIX}/000/{session_id}")
        first.open_and_connect()
        waiting = StreamingReceiver(self.broker.ws_port, f"{PREFIX}/999/{session_id}")
        self.addCleanup(waiting.close)
        self.assertEqual(waiting.read(), "h" * 2048)
        other = Session(self.broker.ws_port, f"{PREFIX}/123/{session_id}")
        for _ in range(2):
            self.assertEqual(other.poll(), [("c", [2010, "Another connection still open"])])
        # The receiver that was there first goes on.
        first.send("SUBSCRIBE", [("destination", "/topic/x"), ("id", "1"), ("receipt", "r")])
        line = waiting.read()
        self.assertTrue(line.startswith("a["), line)
        self.assertIn("RECEIPT", "".join(json.loads(line[1:])))

    def test_xhr_streaming_prelude_frames_and_response_limit(self):
        url = new_session_url()
        stream = StreamingReceiver(self.broker.ws_port, url)
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        self.assertEqual(stream.headers["content-type"].replace(" ", ""),
                         "application/javascript;charset=UTF-8")
        self.assertEqual(stream.headers["cache-control"], NO_CACHE)
        self.assertNotIn("content-length", stream.headers)
        self.assertEqual(stream.read(), "h" * 2048)
        self.assertEqual(stream.read(), "o")
        s = Session(self.broker.ws_port, url)
        s.send("CONNECT", [("accept-version", "1.2"), ("host", "x")])
        self.assertIn("CONNECTED", stream.read())
        s.send("SUBSCRIBE", [("destination", "/topic/big"), ("id", "1")])
        # Past streaming_limit_bytes (4096 here) the answer ends; the session goes on.
        total = 0
        while True:
            s.send("SEND", [("destination", "/topic/big")], "x" * 500)
            line = stream.read()
            if line is None:
                break
            if line == "h":
                continue
            total += len(line) + 1
            self.assertLess(total, 4096 + 2048)
        self.assertGreaterEqual(total, 4096 - 1000)
        self.assertTrue(stream.ended())
        again = StreamingReceiver(self.broker.ws_port, url)
        self.addCleanup(again.close)
        self.assertEqual(again.read(), "h" * 2048)
        # What was sent after the first answer ended waits for the next receiver, in order.
        s.send("SEND", [("destination", "/topic/big")], "after the limit")
        line = again.read()
        while "after the limit" not in line:
            self.assertTrue(line == "h" or "x" * 500 in line, line)
            line = again.read()

    def test_eventsource_transport(self):
        url = new_session_url()
        events = StreamingReceiver(self.broker.ws_port, url, transport="eventsource")
        self.addCleanup(events.close)
        self.assertEqual(events.status, 200)
        self.assertEqual(events.headers["content-type"].replace(" ", ""),
                         "text/event-stream;charset=UTF-8")
        self.assertEqual(events.headers["cache-control"], NO_CACHE)
        self.assertEqual(events.read(), "\r")  # the prelude, "\r\n"
        self.assertEqual(events.read(), "data: o\r")
        self.assertEqual(events.read(), "\r")
        s = Session(self.broker.ws_port, url)
        s.send("CONNECT", [("accept-version", "1.2"), ("host", "x")])
        line = events.read()
        self.assertTrue(line.startswith("data: a["), line)
        frame = line[len("data: "):].rstrip("\r")
        self.assertTrue(json.loads(frame[1:])[0].startswith("CONNECTED\n"), frame)
        self.assertEqual(events.read(), "\r")  # the event's blank line
        # POST is not how an EventSource asks.
        self.assertEqual(request(self.broker.ws_port, "POST", url + "/eventsource")[0], 404)

    def test_heartbeat_frame_answers_a_quiet_poll(self):
        s = Session(self.broker.ws_port)
        s.open_and_connect()
        started = time.monotonic()
        self.assertEqual(s.poll(), [("h", None)])
        self.assertLess(time.monotonic() - started, deadline_s(5))
        stream = StreamingReceiver(self.broker.ws_port, s.url)
        self.addCleanup(stream.close)
        stream.read()  # prelude
        self.assertEqual(stream.read(), "h")
        self.assertEqual(stream.read(), "h")

    def test_go_away_3000_after_a_stomp_error_until_the_session_expires(self):
        s = Session(self.broker.ws_port)
        s.open_and_connect()
        s.send("SEND", [("destination", "/nowhere/x")], "bad prefix")
        frames = []
        while not any(f[0] == "c" for f in frames):
            frames += s.poll()
        errors = [c for c in stomp_commands(frames) if c[0] == "ERROR"]
        self.assertEqual(errors[0][1]["message"], "unknown destination prefix")
        self.assertEqual(frames[-1], ("c", [3000, "Go away!"]))
        for _ in range(2):
            self.assertEqual(s.poll(), [("c", [3000, "Go away!"])])
        # After the disconnect delay (5 s by default) the id is free again.
        wait_for(lambda: s.poll() == [("o", None)], timeout=15, what="session expired")

    def test_aborted_receiver_interrupts_the_session_1002(self):
        s = Session(self.broker.ws_port)
        s.open_and_connect()
        stream = StreamingReceiver(self.broker.ws_port, s.url)
        self.assertEqual(stream.read(), "h" * 2048)
        stream.close()  # the client goes away mid-answer
        wait_for(lambda: s.poll() == [("c", [1002, "Connection interrupted"])], timeout=10,
                 what="1002 after the abort")
        self.assertEqual(s.send_raw('["SEND\\n\\n\\u0000"]')[0], 204)  # the session is known

    def test_sockjs_websocket_transport(self):
        url = new_session_url()
        ws = sockjs_websocket(self.broker.ws_port, url + "/websocket")
        self.addCleanup(ws.close)
        self.assertEqual(ws_recv_text(ws), "o")
        ws.send_message(b"")  # empty messages are ignored
        ws.send_message(stomp_json(stomp_frame("CONNECT", [("accept-version", "1.2"),
                                                          ("host", "x")])).encode())
        frame = ws_recv_text(ws)
        self.assertTrue(frame.startswith("a["), frame)
        self.assertTrue(json.loads(frame[1:])[0].startswith("CONNECTED\n"))
        self.assertEqual(ws_recv_text(ws), "h")  # 400 ms heart-beat
        # A single JSON string is accepted too; a frame split over two messages is fine.
        first, second = stomp_frame("SUBSCRIBE", [("destination", "/topic/w"), ("id", "1"),
                                                  ("receipt", "r")]).decode()[:10], None
        whole = stomp_frame("SUBSCRIBE", [("destination", "/topic/w"), ("id", "1"),
                                          ("receipt", "r")]).decode()
        second = whole[10:]
        ws.send_message(json.dumps(first).encode())
        ws.send_message(json.dumps([second]).encode())
        text = ws_recv_text(ws)
        while text == "h":
            text = ws_recv_text(ws)
        self.assertIn("RECEIPT", json.loads(text[1:])[0])
        # Session id reuse: another websocket with the same id is its own session.
        twin = sockjs_websocket(self.broker.ws_port, url + "/websocket")
        self.addCleanup(twin.close)
        self.assertEqual(ws_recv_text(twin), "o")
        # Broken JSON ends the connection abruptly.
        ws.send_message(b'["a')
        end = time.monotonic() + deadline_s(5)
        while time.monotonic() < end:
            if ws.recv(1) == b"":
                break
        else:
            self.fail("connection not closed after broken JSON")
        self.assertEqual(ws_recv_text(twin), "h")  # the twin is unaffected

    def test_sockjs_websocket_close_frame_after_error(self):
        ws = sockjs_websocket(self.broker.ws_port, new_session_url() + "/websocket")
        self.addCleanup(ws.close)
        self.assertEqual(ws_recv_text(ws), "o")
        ws.send_message(stomp_json(stomp_frame("BOGUS")).encode())
        texts = []
        while True:
            data = ws.recv(deadline_s(5))
            self.assertIsNotNone(data, f"no close; got {texts}")
            if data == b"":
                break
            texts.append(data.decode())
        self.assertIn("ERROR", json.loads(texts[0][1:])[0])
        self.assertEqual(texts[-1], 'c[3000,"Go away!"]')

    def test_raw_websocket_is_plain_stomp(self):
        client = RawStomp.websocket("127.0.0.1", self.broker.ws_port, PREFIX + "/websocket")
        self.addCleanup(client.close)
        client.connect()
        client.subscribe("/topic/raw", "1")
        client.send("/topic/raw", b"plain")
        self.assertEqual(client.expect("MESSAGE").body, b"plain")


class SockjsHostileTest(BrokerTestCase):
    """Odd and broken requests under the prefix get an answer or a closed connection; the
    broker serves on."""

    def config(self):
        return sockjs_config()

    def raw(self, data, timeout=5):
        sock = socket.create_connection(("127.0.0.1", self.broker.ws_port),
                                        timeout=deadline_s(timeout))
        try:
            sock.sendall(data)
            out = b""
            while True:
                try:
                    chunk = sock.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            sock.close()

    def test_odd_requests(self):
        port = self.broker.ws_port
        url = new_session_url()
        for method in ("PUT", "DELETE", "PATCH", "HEAD"):
            status = request(port, method, url + "/xhr")[0]
            self.assertIn(status, (400, 404, 405), method)
        self.assertEqual(request(port, "POST", f"{PREFIX}/0/{'s' * 200}/xhr")[0], 404)
        answer = self.raw((f"POST {url}/xhr_send HTTP/1.1\r\nHost: x\r\n"
                           "Transfer-Encoding: chunked\r\n\r\nzz\r\n").encode())
        self.assertTrue(answer == b"" or b" 400 " in answer.split(b"\r\n")[0] + b" ", answer)
        # A receiver whose request is cut in its head, and one that goes away at once.
        self.raw(f"POST {url}/xhr_streaming HTTP/1.1\r\nHost".encode(), timeout=1)
        self.raw(f"POST {url}/xhr HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode(),
                 timeout=0.2)
        # Many sessions' worth of xhr_send to ids that do not exist.
        for i in range(50):
            self.assertEqual(request(port, "POST", f"{PREFIX}/0/nope{i}/xhr_send",
                                     body='["x"]')[0], 404)
        status, _, body = request(port, "GET", PREFIX + "/info")
        self.assertEqual(status, 200)
        s = Session(port)
        s.open_and_connect()


class SockjsOriginTest(BrokerTestCase):
    """allowed_origins applies to SockJS as to the plain WebSocket."""

    def config(self):
        config = sockjs_config(shards=1)
        config["listeners"][0]["allowed_origins"] = ["https://app.example"]
        return config

    def test_unlisted_origin_is_refused(self):
        port = self.broker.ws_port
        url = new_session_url()
        status, _, _ = request(port, "POST", url + "/xhr", headers={"Origin": "https://evil"})
        self.assertEqual(status, 403)
        status, h, body = request(port, "POST", url + "/xhr",
                                  headers={"Origin": "https://app.example"})
        self.assertEqual((status, body), (200, b"o\n"))
        self.assertEqual(h["access-control-allow-origin"], "https://app.example")
        self.assertEqual(request(port, "POST", url + "/xhr_send", body='["\\n"]',
                                 headers={"Origin": "https://evil"})[0], 403)
        sock = socket.create_connection(("127.0.0.1", port), timeout=deadline_s(10))
        self.addCleanup(sock.close)
        sock.sendall((f"GET {url}/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\nOrigin: https://evil\r\n\r\n").encode())
        self.assertIn(b" 403 ", sock.recv(4096).split(b"\r\n")[0] + b" ")


class SockjsOffTest(BrokerTestCase):
    """Without sockjs.prefix nothing of SockJS is served."""

    def test_no_prefix_no_sockjs(self):
        self.assertEqual(self.broker.http_get(PREFIX + "/info")[0], 404)


if __name__ == "__main__":
    unittest.main()
