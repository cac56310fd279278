// The file backend through @stomp/stompjs, in two phases around a kill -9 of the broker (run
// by tests/integration/test_rooms.py): STAMPEDE_PHASE=before publishes with receipts and
// writes what the room holds to STAMPEDE_STATE; STAMPEDE_PHASE=after recovers from 0 on the
// restarted broker (/topic/durable.* keeps 10,000) and expects every receipted message, in
// order, with the same x-seq.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { makeClient, connect, Inbox, close, ms, withTimeout } from './lib.mjs';

const ROOM = '/topic/durable.js-restart';
const STATE = process.env.STAMPEDE_STATE;

function subscribeWithReceipt(client, inbox, headers) {
  const receiptId = `sub-${Math.random().toString(16).slice(2)}`;
  const receipt = new Promise((resolve) => client.watchForReceipt(receiptId, resolve));
  client.subscribe(ROOM, inbox.onMessage, { ...headers, receipt: receiptId });
  return withTimeout(receipt, 10000, `RECEIPT ${receiptId}`);
}

if (process.env.STAMPEDE_PHASE === 'before') {
  test('publish with receipts', { timeout: ms(30000) }, async () => {
    const pub = makeClient();
    const watcher = makeClient();
    try {
      await Promise.all([connect(pub), connect(watcher)]);
      const receipts = [];
      for (let i = 0; i < 200; i += 1) {
        const id = `r${i}`;
        receipts.push(withTimeout(new Promise((resolve) => pub.watchForReceipt(id, resolve)),
          10000, id));
        pub.publish({ destination: ROOM, body: `kept ${i}`, headers: { receipt: id } });
      }
      await Promise.all(receipts);
      const inbox = new Inbox();
      const receipt = await subscribeWithReceipt(watcher, inbox, { 'x-history': '1000' });
      assert.equal(inbox.messages.length, 200);
      writeFileSync(STATE, JSON.stringify({
        epoch: receipt.headers['x-epoch'],
        messages: inbox.messages.map((m) => [m.headers['x-seq'], m.body]),
      }));
    } finally {
      await close(pub, watcher);
    }
  });
} else {
  test('every receipted message is there after kill -9', { timeout: ms(30000) }, async () => {
    const before = JSON.parse(readFileSync(STATE, 'utf8'));
    const sub = makeClient();
    try {
      await connect(sub);
      const inbox = new Inbox();
      const receipt = await subscribeWithReceipt(sub, inbox,
        { 'x-since-seq': '0', 'x-epoch': before.epoch });
      assert.equal(receipt.headers['x-recovered'], 'true');
      assert.equal(receipt.headers['x-epoch'], before.epoch);
      assert.deepEqual(inbox.messages.map((m) => [m.headers['x-seq'], m.body]), before.messages);
    } finally {
      await close(sub);
    }
  });
}
