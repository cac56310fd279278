// Rooms through @stomp/stompjs (run by tests/integration/test_rooms.py on a broker whose
// /topic/room.* are rooms keeping 50 messages): history on join, recovery after a reconnect
// with x-since-seq and x-epoch, and recovery refused when too much was missed or the epoch
// does not match.
import test from 'node:test';
import assert from 'node:assert/strict';
import { makeClient, connect, Inbox, close, sync, ms, withTimeout } from './lib.mjs';

// SUBSCRIBE with a receipt; resolves with the RECEIPT frame once the replay before it is in.
function subscribeWithReceipt(client, destination, inbox, headers) {
  const receiptId = `sub-${Math.random().toString(16).slice(2)}`;
  const receipt = new Promise((resolve) => client.watchForReceipt(receiptId, resolve));
  client.subscribe(destination, inbox.onMessage, { ...headers, receipt: receiptId });
  return withTimeout(receipt, 10000, `RECEIPT ${receiptId}`);
}

test('history on join, then live, numbered', { timeout: ms(30000) }, async () => {
  const pub = makeClient();
  const sub = makeClient();
  try {
    await connect(pub);
    for (let i = 1; i <= 12; i += 1) {
      pub.publish({ destination: '/topic/room.js-join', body: `m${i}` });
    }
    await sync(pub);
    await connect(sub);
    const inbox = new Inbox();
    const receipt = await subscribeWithReceipt(sub, '/topic/room.js-join', inbox,
      { 'x-history': '10' });
    assert.equal(inbox.messages.length, 10, 'the replay comes before the RECEIPT');
    assert.deepEqual(inbox.messages.map((m) => m.body), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
      .map((i) => `m${i}`));
    assert.ok(inbox.messages.every((m) => m.headers['x-replay'] === 'true'));
    assert.equal(receipt.headers['x-seq'], '12');
    pub.publish({ destination: '/topic/room.js-join', body: 'live' });
    const [, live] = [null, (await inbox.waitFor(11))[10]];
    assert.equal(live.body, 'live');
    assert.equal(live.headers['x-seq'], '13');
    assert.equal(live.headers['x-replay'], undefined);
    assert.equal(live.headers['x-epoch'], receipt.headers['x-epoch']);
  } finally {
    await close(pub, sub);
  }
});

test('a reconnecting client recovers exactly what it missed', { timeout: ms(30000) }, async () => {
  const pub = makeClient();
  let sub = makeClient();
  try {
    await connect(pub);
    await connect(sub);
    const first = new Inbox();
    await subscribeWithReceipt(sub, '/topic/room.js-recover', first, {});
    for (let i = 1; i <= 5; i += 1) {
      pub.publish({ destination: '/topic/room.js-recover', body: `a${i}` });
    }
    const seen = await first.waitFor(5);
    const lastSeq = seen[4].headers['x-seq'];
    const epoch = seen[4].headers['x-epoch'];
    await close(sub);  // the phone goes into a tunnel
    for (let i = 6; i <= 9; i += 1) {
      pub.publish({ destination: '/topic/room.js-recover', body: `a${i}` });
    }
    await sync(pub);
    sub = makeClient();
    await connect(sub);
    const again = new Inbox();
    const receipt = await subscribeWithReceipt(sub, '/topic/room.js-recover', again,
      { 'x-since-seq': lastSeq, 'x-epoch': epoch });
    assert.equal(receipt.headers['x-recovered'], 'true');
    assert.deepEqual(again.messages.map((m) => m.body), ['a6', 'a7', 'a8', 'a9']);
    assert.deepEqual(again.messages.map((m) => m.headers['x-seq']), ['6', '7', '8', '9']);
    pub.publish({ destination: '/topic/room.js-recover', body: 'a10' });
    const all = await again.waitFor(5);
    assert.equal(all[4].headers['x-seq'], '10');
    // a client whose epoch is not the room's: told so, nothing replayed
    const stranger = new Inbox();
    const refused = await subscribeWithReceipt(sub, '/topic/room.js-recover', stranger,
      { 'x-since-seq': '3', 'x-epoch': 'from-another-life' });
    assert.equal(refused.headers['x-recovered'], 'false');
    assert.equal(stranger.messages.length, 0);
  } finally {
    await close(pub, sub);
  }
});

test('too much missed: told so, and what is kept is replayed', { timeout: ms(30000) }, async () => {
  const pub = makeClient();
  const sub = makeClient();
  try {
    await connect(pub);
    for (let i = 1; i <= 60; i += 1) {
      pub.publish({ destination: '/topic/room.js-old', body: `o${i}` });
    }
    await sync(pub);
    await connect(sub);
    const probe = new Inbox();
    const latest = await subscribeWithReceipt(sub, '/topic/room.js-old', probe, {});
    const inbox = new Inbox();
    const receipt = await subscribeWithReceipt(sub, '/topic/room.js-old', inbox,
      { 'x-since-seq': '2', 'x-epoch': latest.headers['x-epoch'] });
    assert.equal(receipt.headers['x-recovered'], 'false', 'the room keeps only 50');
    assert.equal(inbox.messages.length, 50);
    assert.equal(inbox.messages[0].headers['x-seq'], '11');
    assert.equal(inbox.messages[49].body, 'o60');
  } finally {
    await close(pub, sub);
  }
});
