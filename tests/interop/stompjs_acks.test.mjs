// Issue 11 through @stomp/stompjs: redelivered on NACK, prefetch-count, receipts of
// transactional frames at COMMIT, and an ACK that names nothing outstanding.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  makeClient, connect, Inbox, subscribe, close, sync, waitUntil, ms,
} from './lib.mjs';

test('NACK gives the message back marked redelivered', { timeout: ms(20000) }, async () => {
  const consumer = makeClient();
  const producer = makeClient();
  try {
    await connect(consumer);
    await connect(producer);
    const inbox = new Inbox();
    await subscribe(consumer, '/queue/js-redo', inbox, { ack: 'client-individual' });
    producer.publish({ destination: '/queue/js-redo', body: 'again' });
    const [first] = await inbox.waitFor(1);
    assert.equal(first.headers.redelivered, undefined);
    first.nack();
    const [, second] = await inbox.waitFor(2);
    assert.equal(second.body, 'again');
    assert.equal(second.headers.redelivered, 'true');
    assert.equal(second.headers['message-id'], first.headers['message-id']);
    second.ack();
    await sync(consumer);
  } finally {
    await close(consumer, producer);
  }
});

test('prefetch-count caps what is unacknowledged', { timeout: ms(20000) }, async () => {
  const consumer = makeClient();
  const producer = makeClient();
  try {
    await connect(consumer);
    await connect(producer);
    const inbox = new Inbox();
    await subscribe(consumer, '/queue/js-prefetch', inbox,
      { ack: 'client-individual', 'prefetch-count': '3' });
    for (let i = 0; i < 10; i += 1) {
      producer.publish({ destination: '/queue/js-prefetch', body: `p${i}` });
    }
    await sync(producer);
    await inbox.waitFor(3);
    await sync(consumer);
    await new Promise((resolve) => { setTimeout(resolve, ms(300)); });
    assert.equal(inbox.messages.length, 3, 'more than prefetch-count unacknowledged');
    inbox.messages[0].ack();
    await inbox.waitFor(4);
    await new Promise((resolve) => { setTimeout(resolve, ms(300)); });
    assert.equal(inbox.messages.length, 4);
    for (const message of inbox.messages.slice(1)) {
      message.ack();
    }
    await inbox.waitFor(7);
  } finally {
    await close(consumer, producer);
  }
});

test('a transactional SEND is receipted at COMMIT', { timeout: ms(20000) }, async () => {
  const sub = makeClient();
  const pub = makeClient();
  try {
    await connect(sub);
    await connect(pub);
    const inbox = new Inbox();
    await subscribe(sub, '/topic/js-tx', inbox);
    const receipts = [];
    pub.watchForReceipt('held-send', (frame) => receipts.push(frame.headers['receipt-id']));
    const tx = pub.begin();
    pub.publish({ destination: '/topic/js-tx', body: 'in tx',
      headers: { transaction: tx.id, receipt: 'held-send' } });
    await sync(pub);
    assert.deepEqual(receipts, [], 'receipted before COMMIT');
    tx.commit();
    await waitUntil(() => receipts.length === 1, 10000, 'RECEIPT of the held SEND');
    assert.equal((await inbox.waitFor(1))[0].body, 'in tx');
  } finally {
    await close(sub, pub);
  }
});

test('an ACK for nothing outstanding is an ERROR', { timeout: ms(20000) }, async () => {
  const client = makeClient();
  try {
    await connect(client);
    client.ack('no-such-id', 'no-such-subscription');
    await waitUntil(() => client.events.errors.length === 1, 10000, 'ERROR');
    assert.equal(client.events.errors[0].headers.message, 'unknown message id');
  } finally {
    await close(client);
  }
});
