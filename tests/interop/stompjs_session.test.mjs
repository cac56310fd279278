// Heart-beats both ways at 100 ms, ERROR handling, DISCONNECT receipt, queue acks via stompjs.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  makeClient, connect, Inbox, subscribe, close, sync, waitUntil, withTimeout, ms,
} from './lib.mjs';

test('heart-beats incoming and outgoing at 100 ms', { timeout: ms(20000) }, async () => {
  const client = makeClient({ heartbeatIncoming: 100, heartbeatOutgoing: 100 });
  try {
    const frame = await connect(client);
    assert.equal(frame.headers['heart-beat'], '100,100');
    const start = Date.now();
    await waitUntil(() => client.events.heartbeats >= 8, 5000, 'eight server heart-beats');
    assert.ok(Date.now() - start >= 600, 'heart-beats come about every 100 ms, not faster');
    // well past the broker's grace (2 x 100 ms): our outgoing beats keep the session alive
    await waitUntil(() => Date.now() - start >= 1500, 5000, 'time to pass');
    assert.equal(client.events.closes.length, 0, 'connection was closed');
    assert.deepEqual(client.events.errors.map((f) => f.headers.message), []);
    const inbox = new Inbox();
    await subscribe(client, '/topic/hb', inbox);
    client.publish({ destination: '/topic/hb', body: 'still alive' });
    assert.equal((await inbox.waitFor(1))[0].body, 'still alive');
  } finally {
    await close(client);
  }
});

test('ERROR frame for an unknown destination prefix, then close', { timeout: ms(20000) }, async () => {
  const client = makeClient();
  try {
    await connect(client);
    client.publish({ destination: '/exchange/nope', body: 'x', headers: { receipt: 'bad-1' } });
    await waitUntil(() => client.events.errors.length === 1 && client.events.closes.length === 1,
      10000, 'ERROR and close');
    const [error] = client.events.errors;
    assert.equal(error.headers.message, 'unknown destination prefix');
    assert.equal(error.headers['receipt-id'], 'bad-1');
  } finally {
    await close(client);
  }
});

test('ERROR for max_frame_bytes, other clients unaffected', { timeout: ms(30000) }, async () => {
  const bad = makeClient();
  const good = makeClient();
  try {
    await connect(bad);
    await connect(good);
    const inbox = new Inbox();
    await subscribe(good, '/topic/good', inbox);
    bad.publish({ destination: '/topic/good', body: 'x'.repeat(1100 * 1024) }); // default 1 MiB
    await waitUntil(() => bad.events.errors.length === 1 && bad.events.closes.length === 1,
      10000, 'ERROR and close');
    assert.equal(bad.events.errors[0].headers.message, 'max_frame_bytes exceeded');
    good.publish({ destination: '/topic/good', body: 'fine' });
    const [m] = await inbox.waitFor(1);
    assert.equal(m.body, 'fine');
    assert.equal(good.events.closes.length, 0);
  } finally {
    await close(bad, good);
  }
});

test('DISCONNECT gets its RECEIPT before the close', { timeout: ms(20000) }, async () => {
  const sub = makeClient();
  const pub = makeClient();
  try {
    await connect(sub);
    await connect(pub);
    const inbox = new Inbox();
    await subscribe(sub, '/topic/bye', inbox);
    const disconnected = new Promise((resolve) => { pub.onDisconnect = resolve; });
    pub.publish({ destination: '/topic/bye', body: 'last words' });
    await withTimeout(pub.deactivate(), 10000, 'deactivate');
    const receipt = await withTimeout(disconnected, 1000, 'onDisconnect (RECEIPT)');
    assert.equal(receipt.command, 'RECEIPT');
    assert.match(receipt.headers['receipt-id'], /^close-/);
    assert.equal((await inbox.waitFor(1))[0].body, 'last words');
  } finally {
    await close(sub, pub);
  }
});

test('queue with client-individual acks: nack redelivers, ack settles', { timeout: ms(20000) }, async () => {
  const consumer = makeClient();
  const producer = makeClient();
  try {
    await connect(consumer);
    await connect(producer);
    const inbox = new Inbox();
    await subscribe(consumer, '/queue/jobs', inbox, { ack: 'client-individual' });
    producer.publish({ destination: '/queue/jobs', body: 'job 1' });
    const [first] = await inbox.waitFor(1);
    assert.ok(first.headers.ack, 'ack header on a client-individual subscription');
    first.nack();
    const [, again] = await inbox.waitFor(2);
    assert.equal(again.body, 'job 1');
    again.ack();
    await sync(consumer);
    producer.publish({ destination: '/queue/jobs', body: 'job 2' });
    const [, , next] = await inbox.waitFor(3);
    assert.equal(next.body, 'job 2');
    next.ack();
    await sync(consumer);
  } finally {
    await close(consumer, producer);
  }
});

test('transactions through stompjs', { timeout: ms(20000) }, async () => {
  const sub = makeClient();
  const pub = makeClient();
  try {
    await connect(sub);
    await connect(pub);
    const inbox = new Inbox();
    await subscribe(sub, '/topic/tx', inbox);
    const tx = pub.begin();
    pub.publish({ destination: '/topic/tx', body: 'in tx', headers: { transaction: tx.id } });
    pub.publish({ destination: '/topic/tx', body: 'outside' });
    await sync(pub);
    await inbox.waitFor(1);
    await sync(sub);
    assert.deepEqual(inbox.messages.map((m) => m.body), ['outside']);
    tx.commit();
    const messages = await inbox.waitFor(2);
    assert.equal(messages[1].body, 'in tx');
    assert.equal(messages[1].headers.transaction, undefined);
  } finally {
    await close(sub, pub);
  }
});
