// Read cursors and unread counts through @stomp/stompjs (run by tests/integration/
// test_cursors.py on a broker with service accounts alice, bob / pw and rooms /topic/room.*):
// one user's two sessions share one cursor; unread counts rise as others publish and fall
// when read, and /stampede/unread sends the snapshot then the changes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { makeClient, connect, Inbox, close, ms, withTimeout, waitUntil, sync } from './lib.mjs';

const as = (login) => makeClient({ connectHeaders: { login, passcode: 'pw' } });
const ROOM = '/topic/room.js-unread';

function subscribeWithReceipt(client, destination, inbox) {
  const receiptId = `sub-${Math.random().toString(16).slice(2)}`;
  const receipt = new Promise((resolve) => client.watchForReceipt(receiptId, resolve));
  client.subscribe(destination, inbox.onMessage, { receipt: receiptId });
  return withTimeout(receipt, 10000, `RECEIPT ${receiptId}`);
}

function sendWithReceipt(client, destination, headers = {}, body = '') {
  const receiptId = `send-${Math.random().toString(16).slice(2)}`;
  const receipt = new Promise((resolve) => client.watchForReceipt(receiptId, resolve));
  client.publish({ destination, body, headers: { ...headers, receipt: receiptId } });
  return withTimeout(receipt, 10000, `RECEIPT ${receiptId}`);
}

// The latest counts for ROOM seen by an unread subscription (snapshot and updates merged).
const latest = (inbox) => inbox.messages.reduce(
  (counts, m) => ({ ...counts, ...JSON.parse(m.body) }), {})[ROOM];

test('two sessions of one user share a cursor', { timeout: ms(30000) }, async () => {
  const phone = as('alice');
  const laptop = as('alice');
  const bob = as('bob');
  try {
    await Promise.all([phone, laptop, bob].map((c) => connect(c)));
    await subscribeWithReceipt(phone, ROOM, new Inbox());  // alice becomes a member
    await subscribeWithReceipt(bob, ROOM, new Inbox());
    const unread = new Inbox();
    await subscribeWithReceipt(laptop, '/stampede/unread', unread);
    assert.equal(unread.messages.length, 1, 'the snapshot comes before the RECEIPT');
    assert.deepEqual(latest(unread), { unread: 0, read_seq: 0, last_seq: 0 });
    for (let i = 1; i <= 3; i += 1) {
      await sendWithReceipt(bob, ROOM, {}, `from bob ${i}`);
    }
    await waitUntil(() => latest(unread)?.unread === 3, ms(10000), 'three unread');
    assert.equal(latest(unread).last_seq, 3);
    // read on the phone: the laptop's count follows
    await sendWithReceipt(phone, `/stampede/read${ROOM}`, { 'x-seq': '2' });
    await waitUntil(() => latest(unread)?.unread === 1, ms(10000), 'one unread');
    assert.equal(latest(unread).read_seq, 2);
    // her own message is read
    await sendWithReceipt(phone, ROOM, {}, 'from alice');
    await sync(phone);
    await waitUntil(() => latest(unread)?.read_seq === 4, ms(10000), 'own message read');
    assert.equal(latest(unread).unread, 0);
  } finally {
    await close(phone, laptop, bob);
  }
});
