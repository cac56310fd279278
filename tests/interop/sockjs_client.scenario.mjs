// The real sockjs-client (npm) with @stomp/stompjs 7 (its webSocketFactory), as a Spring app
// uses them, against a broker with SockJS under a prefix (run by tests/integration/
// test_sockjs_interop.py, which sets STAMPEDE_SOCKJS_URL and STAMPEDE_WS_URL). Each transport
// is forced in turn (eventsource too): connect, subscribe, send, receive, a big message, disconnect; and STOMP
// both ways between a SockJS client and a plain WebSocket client.
import test from 'node:test';
import assert from 'node:assert/strict';
import SockJS from 'sockjs-client';
import { makeClient, connect, Inbox, subscribe, close, ms, withTimeout } from './lib.mjs';

const SOCKJS_URL = process.env.STAMPEDE_SOCKJS_URL;
if (!SOCKJS_URL) {
  throw new Error('set STAMPEDE_SOCKJS_URL (http://127.0.0.1:<port>/ws-sockjs)');
}

function sockjsClient(transport) {
  const sockets = [];
  const client = makeClient({
    brokerURL: undefined,
    webSocketFactory: () => {
      const socket = new SockJS(SOCKJS_URL, null, { transports: [transport] });
      sockets.push(socket);
      return socket;
    },
  });
  client.sockets = sockets;
  return client;
}

for (const transport of ['websocket', 'xhr-streaming', 'xhr-polling', 'eventsource']) {
  test(`sockjs-client over ${transport}`, { timeout: ms(60000) }, async () => {
    const sockjs = sockjsClient(transport);
    const plain = makeClient();
    try {
      const connected = await connect(sockjs);
      assert.equal(connected.headers.version, '1.2');
      assert.equal(sockjs.sockets.length, 1);
      assert.equal(sockjs.sockets[0].transport, transport, 'the transport that was forced');
      await connect(plain);

      const destination = `/topic/sockjs.${transport}`;
      const mine = new Inbox();
      const theirs = new Inbox();
      await subscribe(sockjs, destination, mine);
      await subscribe(plain, destination, theirs);

      // Text that JSON and SockJS must escape, both ways.
      const tricky = 'line\nquote" backslash\\ nul-free \u00e9 \u2028 \ud83d\ude00';
      sockjs.publish({ destination, body: `from sockjs: ${tricky}` });
      plain.publish({ destination, body: `from websocket: ${tricky}` });
      const got = (await mine.waitFor(2)).map((m) => m.body).sort();
      assert.deepEqual(got, [`from sockjs: ${tricky}`, `from websocket: ${tricky}`]);
      const seen = (await theirs.waitFor(2)).map((m) => m.body).sort();
      assert.deepEqual(seen, got);

      // Bigger than xhr-streaming's 128 KiB response limit: the client follows on a new
      // request and nothing is lost.
      const big = 'x'.repeat(200 * 1024);
      for (let i = 0; i < 3; i++) {
        plain.publish({ destination, body: `${i}:${big}` });
      }
      const bigOnes = (await mine.waitFor(5, 30000)).slice(2);
      assert.deepEqual(bigOnes.map((m) => m.body.slice(0, 2)), ['0:', '1:', '2:']);
      assert.ok(bigOnes.every((m) => m.body.length === big.length + 2));
    } finally {
      await close(sockjs, plain);
    }
    assert.equal(sockjs.events.errors.length, 0, 'no STOMP ERROR');
  });
}

test('a STOMP ERROR reaches a sockjs-client and closes it', { timeout: ms(30000) }, async () => {
  const sockjs = sockjsClient('xhr-polling');
  try {
    await connect(sockjs);
    const closed = new Promise((resolve) => {
      sockjs.onWebSocketClose = (evt) => resolve(evt);
    });
    const error = new Promise((resolve) => {
      sockjs.onStompError = (frame) => resolve(frame);
    });
    sockjs.publish({ destination: '/nowhere/x', body: 'bad prefix' });
    const frame = await withTimeout(error, 10000, 'ERROR');
    assert.equal(frame.headers.message, 'unknown destination prefix');
    const evt = await withTimeout(closed, 10000, 'close');
    assert.equal(evt.code, 3000);
  } finally {
    await close(sockjs);
  }
});
