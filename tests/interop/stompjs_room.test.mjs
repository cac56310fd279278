// Issue 2 point 2: a subscriber to /topic/room.42 receives every message another client sends
// there, in order, with destination, subscription, message-id, content-type, content-length and
// the sender's custom headers; and the wildcard subscriptions.
import test from 'node:test';
import assert from 'node:assert/strict';
import { makeClient, connect, Inbox, subscribe, close, sync, ms } from './lib.mjs';

test('room.42: every message, in order, with all headers', { timeout: ms(30000) }, async () => {
  const sub = makeClient();
  const pub = makeClient();
  try {
    await connect(sub);
    await connect(pub);
    const inbox = new Inbox();
    const subscription = await subscribe(sub, '/topic/room.42', inbox);
    const count = 300;
    for (let i = 0; i < count; i += 1) {
      pub.publish({
        destination: '/topic/room.42',
        body: JSON.stringify({ i, text: `message ${i} ✓` }),
        headers: { 'content-type': 'application/json', 'x-n': String(i), 'x-room': '42' },
      });
    }
    const messages = await inbox.waitFor(count, 20000);
    const ids = new Set();
    messages.forEach((m, i) => {
      assert.equal(JSON.parse(m.body).i, i, 'order');
      assert.equal(m.headers.destination, '/topic/room.42');
      assert.equal(m.headers.subscription, subscription.id);
      assert.ok(m.headers['message-id']);
      ids.add(m.headers['message-id']);
      assert.equal(m.headers['content-type'], 'application/json');
      assert.equal(m.headers['content-length'], String(Buffer.byteLength(m.body)));
      assert.equal(m.headers['x-n'], String(i));
      assert.equal(m.headers['x-room'], '42');
      assert.equal(m.headers.ack, undefined);
    });
    assert.equal(ids.size, count, 'message-ids are unique');
    await sync(sub);
    assert.equal(inbox.messages.length, count, 'nothing extra');
    assert.deepEqual(sub.events.errors, []);
  } finally {
    await close(sub, pub);
  }
});

test('wildcards: room.* gets one segment, room.# zero or more', { timeout: ms(30000) }, async () => {
  const sub = makeClient();
  const pub = makeClient();
  try {
    await connect(sub);
    await connect(pub);
    const star = new Inbox();
    const hash = new Inbox();
    await subscribe(sub, '/topic/room.*', star);
    await subscribe(sub, '/topic/room.#', hash);
    const destinations = ['/topic/room', '/topic/room.1', '/topic/room.1.2', '/topic/lobby',
      '/topic/room.2'];
    for (const d of destinations) pub.publish({ destination: d, body: d });
    await sync(pub);
    await hash.waitFor(4);
    await star.waitFor(2);
    await sync(sub);
    assert.deepEqual(star.messages.map((m) => m.body), ['/topic/room.1', '/topic/room.2']);
    assert.deepEqual(hash.messages.map((m) => m.body),
      ['/topic/room', '/topic/room.1', '/topic/room.1.2', '/topic/room.2']);
    for (const m of hash.messages) assert.equal(m.headers.destination, m.body);
  } finally {
    await close(sub, pub);
  }
});
