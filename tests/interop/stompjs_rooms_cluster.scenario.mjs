// Rooms on two nodes joined by Redis, through @stomp/stompjs (run by
// tests/integration/test_rooms_cluster.py: STAMPEDE_WS_URL is node A, STAMPEDE_WS_URL_B node
// B): the same x-seq everywhere, and recovery through the other node.
import test from 'node:test';
import assert from 'node:assert/strict';
import { makeClient, connect, Inbox, close, ms, withTimeout } from './lib.mjs';

const NODE_B = process.env.STAMPEDE_WS_URL_B;

function subscribeWithReceipt(client, destination, inbox, headers) {
  const receiptId = `sub-${Math.random().toString(16).slice(2)}`;
  const receipt = new Promise((resolve) => client.watchForReceipt(receiptId, resolve));
  client.subscribe(destination, inbox.onMessage, { ...headers, receipt: receiptId });
  return withTimeout(receipt, 10000, `RECEIPT ${receiptId}`);
}

function publishWithReceipt(client, destination, body) {
  const receiptId = `pub-${Math.random().toString(16).slice(2)}`;
  const receipt = new Promise((resolve) => client.watchForReceipt(receiptId, resolve));
  client.publish({ destination, body, headers: { receipt: receiptId } });
  return withTimeout(receipt, 10000, `RECEIPT ${receiptId}`);
}

test('both nodes see the same numbers in the same order', { timeout: ms(30000) }, async () => {
  const onA = makeClient();
  const onB = makeClient({ brokerURL: NODE_B });
  const pubA = makeClient();
  const pubB = makeClient({ brokerURL: NODE_B });
  try {
    await Promise.all([connect(onA), connect(onB), connect(pubA), connect(pubB)]);
    const inboxA = new Inbox();
    const inboxB = new Inbox();
    await subscribeWithReceipt(onA, '/topic/room.js-both', inboxA, {});
    await subscribeWithReceipt(onB, '/topic/room.js-both', inboxB, {});
    const sends = [];
    for (let i = 0; i < 50; i += 1) {
      sends.push(publishWithReceipt(pubA, '/topic/room.js-both', `a${i}`));
      sends.push(publishWithReceipt(pubB, '/topic/room.js-both', `b${i}`));
    }
    await Promise.all(sends);
    const gotA = await inboxA.waitFor(100);
    const gotB = await inboxB.waitFor(100);
    assert.deepEqual(gotA.map((m) => m.headers['x-seq']),
      Array.from({ length: 100 }, (_, i) => String(i + 1)));
    assert.deepEqual(gotA.map((m) => [m.headers['x-seq'], m.body]),
      gotB.map((m) => [m.headers['x-seq'], m.body]));
  } finally {
    await close(onA, onB, pubA, pubB);
  }
});

test('a client recovers on the other node what it missed', { timeout: ms(30000) }, async () => {
  const pub = makeClient();
  let sub = makeClient();
  try {
    await Promise.all([connect(pub), connect(sub)]);
    const first = new Inbox();
    await subscribeWithReceipt(sub, '/topic/room.js-move', first, {});
    for (let i = 1; i <= 4; i += 1) {
      await publishWithReceipt(pub, '/topic/room.js-move', `m${i}`);
    }
    const seen = await first.waitFor(4);
    await close(sub);
    for (let i = 5; i <= 7; i += 1) {
      await publishWithReceipt(pub, '/topic/room.js-move', `m${i}`);
    }
    sub = makeClient({ brokerURL: NODE_B });
    await connect(sub);
    const again = new Inbox();
    const receipt = await subscribeWithReceipt(sub, '/topic/room.js-move', again, {
      'x-since-seq': seen[3].headers['x-seq'], 'x-epoch': seen[3].headers['x-epoch'],
    });
    assert.equal(receipt.headers['x-recovered'], 'true');
    assert.deepEqual(again.messages.map((m) => m.body), ['m5', 'm6', 'm7']);
    assert.deepEqual(again.messages.map((m) => m.headers['x-seq']), ['5', '6', '7']);
  } finally {
    await close(pub, sub);
  }
});
