// Dead-letter queues through stompjs with the default queue policy: NACK past
// max_redeliveries (5), NACK with requeue:false, and `expires` on a SEND.
import test from 'node:test';
import assert from 'node:assert/strict';
import { makeClient, connect, Inbox, subscribe, close, sync, ms } from './lib.mjs';

test('NACKed six times: redelivered five times, then in <queue>.dlq', { timeout: ms(20000) }, async () => {
  const consumer = makeClient();
  const producer = makeClient();
  try {
    await connect(consumer);
    await connect(producer);
    const dead = new Inbox();
    await subscribe(consumer, '/queue/sj.poison.dlq', dead);
    const inbox = new Inbox();
    await subscribe(consumer, '/queue/sj.poison', inbox, { ack: 'client-individual' });
    producer.publish({ destination: '/queue/sj.poison', body: 'poison' });
    for (let n = 1; n <= 6; n += 1) {
      const messages = await inbox.waitFor(n);
      messages[n - 1].nack();
    }
    const [letter] = await dead.waitFor(1);
    assert.deepEqual(inbox.messages.map((m) => m.headers['x-redeliveries']),
      [undefined, '1', '2', '3', '4', '5']);
    assert.equal(letter.body, 'poison');
    assert.equal(letter.headers['x-death-reason'], 'max-redeliveries');
    assert.equal(letter.headers['x-redeliveries'], '5');
    assert.equal(letter.headers['x-original-destination'], '/queue/sj.poison');
    await sync(consumer);
    assert.equal(inbox.messages.length, 6, 'nothing more on the queue');
  } finally {
    await close(consumer, producer);
  }
});

test('NACK requeue:false and an expired SEND are dead-lettered', { timeout: ms(20000) }, async () => {
  const consumer = makeClient();
  const producer = makeClient();
  try {
    await connect(consumer);
    await connect(producer);
    const dead = new Inbox();
    await subscribe(consumer, '/queue/sj.work.dlq', dead);
    const inbox = new Inbox();
    await subscribe(consumer, '/queue/sj.work', inbox, { ack: 'client-individual' });
    producer.publish({ destination: '/queue/sj.work', body: 'reject me' });
    const [first] = await inbox.waitFor(1);
    first.nack({ requeue: 'false' });
    const [rejected] = await dead.waitFor(1);
    assert.equal(rejected.body, 'reject me');
    assert.equal(rejected.headers['x-death-reason'], 'rejected');
    producer.publish({
      destination: '/queue/sj.work', body: 'too late',
      headers: { expires: String(Date.now() - 1000) },
    });
    const [, expired] = await dead.waitFor(2);
    assert.equal(expired.body, 'too late');
    assert.equal(expired.headers['x-death-reason'], 'expired');
    assert.equal(inbox.messages.length, 1, 'the expired message was never delivered');
  } finally {
    await close(consumer, producer);
  }
});
