// Issue 11 through @stomp/stompjs: request/reply with RabbitMQ's temporary reply queues. The
// requester SENDs with reply-to:/temp-queue/NAME and never SUBSCRIBEs: replies arrive with
// subscription:/temp-queue/NAME, so stompjs hands them to onUnhandledMessage (as with
// RabbitMQ). A reply to a connection that has gone is dropped; /temp-queue/ as a SEND
// destination is an ERROR that leaves other connections working.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  makeClient, connect, Inbox, subscribe, close, sync, waitUntil, ms,
} from './lib.mjs';

// A responder that answers every /queue/js-rpc request on its reply-to.
async function startResponder(client) {
  const inbox = new Inbox();
  const onRequest = inbox.onMessage;
  inbox.onMessage = (request) => {
    onRequest(request);
    client.publish({
      destination: request.headers['reply-to'],
      headers: { 'correlation-id': request.headers['correlation-id'] },
      body: `answer to ${request.body}`,
    });
  };
  await subscribe(client, '/queue/js-rpc', inbox);
  return inbox;
}

test('request/reply through a temporary queue', { timeout: ms(20000) }, async () => {
  const requester = makeClient();
  const responder = makeClient();
  try {
    const connected = await connect(requester);
    await connect(responder);
    const requests = await startResponder(responder);
    for (let i = 0; i < 3; i += 1) {
      requester.publish({
        destination: '/queue/js-rpc',
        headers: { 'reply-to': '/temp-queue/js-answers', 'correlation-id': `c${i}` },
        body: `q${i}`,
      });
    }
    await waitUntil(() => requester.events.unhandled.length === 3, ms(10000), '3 replies');
    const session = connected.headers.session;
    for (const request of requests.messages) {
      assert.equal(request.headers['reply-to'], `/reply-queue/${session}.js-answers`);
    }
    const replies = requester.events.unhandled;
    assert.deepEqual(replies.map((m) => m.body), ['answer to q0', 'answer to q1', 'answer to q2']);
    assert.deepEqual(replies.map((m) => m.headers['correlation-id']), ['c0', 'c1', 'c2']);
    for (const reply of replies) {
      assert.equal(reply.headers.subscription, '/temp-queue/js-answers');
      assert.equal(reply.headers.destination, '/temp-queue/js-answers');
    }
    assert.deepEqual(requester.events.errors, []);
    assert.deepEqual(responder.events.errors, []);
  } finally {
    await close(requester, responder);
  }
});

test('a reply to a closed connection is dropped', { timeout: ms(20000) }, async () => {
  const requester = makeClient();
  const responder = makeClient();
  try {
    const connected = await connect(requester);
    await connect(responder);
    requester.publish({ destination: '/topic/js-nothing',
      headers: { 'reply-to': '/temp-queue/gone' }, body: '' });
    await sync(requester);
    await close(requester);
    const receipts = [];
    responder.watchForReceipt('late', (f) => receipts.push(f.headers['receipt-id']));
    responder.publish({ destination: `/reply-queue/${connected.headers.session}.gone`,
      headers: { receipt: 'late' }, body: 'too late' });
    await waitUntil(() => receipts.length === 1, ms(10000), 'RECEIPT of the late reply');
    await sync(responder);
    assert.deepEqual(responder.events.errors, []);
    assert.equal(responder.connected, true);
  } finally {
    await close(responder);
  }
});

test('SEND to /temp-queue/ is an ERROR; others go on', { timeout: ms(20000) }, async () => {
  const bad = makeClient();
  const other = makeClient();
  try {
    await connect(bad);
    await connect(other);
    const inbox = new Inbox();
    await subscribe(other, '/topic/js-other', inbox);
    bad.publish({ destination: '/temp-queue/x', body: 'no' });
    await waitUntil(() => bad.events.errors.length === 1, ms(10000), 'ERROR');
    assert.equal(bad.events.errors[0].headers.message, 'bad destination');
    other.publish({ destination: '/topic/js-other', body: 'still here' });
    assert.equal((await inbox.waitFor(1))[0].body, 'still here');
  } finally {
    await close(bad, other);
  }
});
