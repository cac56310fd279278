// Room presence through @stomp/stompjs (run by tests/integration/test_presence.py on a
// broker with service accounts alice, bob, carol / pw and presence on /topic/room.* and on
// Spring-style /topic/chat/room/{id}): a multi-tab user is one member, enter/leave notices
// with counts, the snapshot destination, and the Spring tutorial's own JSON body.
import test from 'node:test';
import assert from 'node:assert/strict';
import { makeClient, connect, Inbox, close, ms, withTimeout, waitUntil } from './lib.mjs';

const as = (login) => makeClient({ connectHeaders: { login, passcode: 'pw' } });

function subscribeWithReceipt(client, destination, inbox) {
  const receiptId = `sub-${Math.random().toString(16).slice(2)}`;
  const receipt = new Promise((resolve) => client.watchForReceipt(receiptId, resolve));
  const sub = client.subscribe(destination, inbox.onMessage, { receipt: receiptId });
  return withTimeout(receipt, 10000, `RECEIPT ${receiptId}`).then(() => sub);
}

const notices = (inbox) => inbox.messages.filter((m) => m.headers['x-presence']);

test('a user with three tabs is one member', { timeout: ms(30000) }, async () => {
  const bob = as('bob');
  const tabs = [as('alice'), as('alice'), as('alice')];
  try {
    await Promise.all([bob, ...tabs].map((c) => connect(c)));
    const seen = new Inbox();
    await subscribeWithReceipt(bob, '/topic/room.js-tabs', seen);
    const subs = [];
    for (const tab of tabs) {
      subs.push(await subscribeWithReceipt(tab, '/topic/room.js-tabs', new Inbox()));
    }
    await waitUntil(() => notices(seen).length >= 2, ms(10000), 'two enters');
    const [bobEnters, aliceEnters] = notices(seen);
    assert.equal(bobEnters.headers['x-user'], 'bob');
    assert.equal(aliceEnters.headers['x-presence'], 'enter');
    assert.equal(aliceEnters.headers['x-user'], 'alice');
    assert.equal(aliceEnters.headers['x-user-count'], '2');
    assert.deepEqual(JSON.parse(aliceEnters.body), { event: 'enter', user: 'alice', count: 2 });
    tabs[2].publish({ destination: '/topic/room.js-tabs', body: 'hi from tab 3' });
    await waitUntil(() => seen.messages.some((m) => m.body === 'hi from tab 3'), ms(10000), 'hi');
    const hi = seen.messages.find((m) => m.body === 'hi from tab 3');
    assert.equal(hi.headers['x-user-count'], '2');
    assert.equal(notices(seen).length, 2, 'the second and third tab are no enter');
    subs[0].unsubscribe();
    await close(tabs[1]);
    assert.equal(notices(seen).length, 2, 'alice still has a tab');
    await close(tabs[2]);
    await waitUntil(() => notices(seen).length >= 3, ms(10000), 'the leave');
    const leave = notices(seen)[2];
    assert.equal(leave.headers['x-presence'], 'leave');
    assert.equal(leave.headers['x-user'], 'alice');
    assert.equal(leave.headers['x-user-count'], '1');
  } finally {
    await close(bob, ...tabs);
  }
});

test('snapshot, then live changes', { timeout: ms(30000) }, async () => {
  const alice = as('alice');
  const carol = as('carol');
  const watcher = as('bob');
  try {
    await Promise.all([alice, carol, watcher].map((c) => connect(c)));
    await subscribeWithReceipt(alice, '/topic/room.js-snap', new Inbox());
    const changes = new Inbox();
    await subscribeWithReceipt(watcher, '/stampede/presence/topic/room.js-snap', changes);
    assert.equal(changes.messages.length, 1, 'the snapshot comes before the RECEIPT');
    const snapshot = changes.messages[0];
    assert.equal(snapshot.headers['x-presence'], 'snapshot');
    assert.deepEqual(JSON.parse(snapshot.body).users, ['alice']);
    assert.equal(JSON.parse(snapshot.body).count, 1);
    await subscribeWithReceipt(carol, '/topic/room.js-snap', new Inbox());
    const [, entered] = await changes.waitFor(2);
    assert.equal(entered.headers['x-presence'], 'enter');
    assert.equal(entered.headers['x-user'], 'carol');
    assert.equal(entered.headers['x-user-count'], '2');
  } finally {
    await close(alice, carol, watcher);
  }
});

test('the Spring chat tutorial gets its own JSON', { timeout: ms(30000) }, async () => {
  const bob = as('bob');
  const alice = as('alice');
  try {
    await Promise.all([bob, alice].map((c) => connect(c)));
    const seen = new Inbox();
    await subscribeWithReceipt(bob, '/topic/chat/room/42', seen);
    await subscribeWithReceipt(alice, '/topic/chat/room/42', new Inbox());
    await waitUntil(() => notices(seen).length >= 2, ms(10000), 'alice enters');
    assert.deepEqual(JSON.parse(notices(seen)[1].body),
      { type: 'ENTER', roomId: '42', sender: 'alice', userCount: 2 });
  } finally {
    await close(bob, alice);
  }
});
