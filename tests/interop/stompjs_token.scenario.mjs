// Token refresh on a live connection through @stomp/stompjs 7 (run by tests/integration/
// test_token_refresh.py, which starts a broker with two HS256 issuers, leeway 0, an ACL where
// /topic/admin.# needs role admin, and passes jose-minted tokens for one principal):
//   STAMPEDE_SUB; STAMPEDE_SHORT_TOKEN (exp STAMPEDE_SHORT_EXP, a few seconds away),
//   STAMPEDE_LONG_TOKEN (exp STAMPEDE_LONG_EXP, an hour), STAMPEDE_NEAR_TOKEN (exp
//   STAMPEDE_NEAR_EXP, inside the 60 s warning period), all with roles member and admin;
//   STAMPEDE_MEMBER_TOKEN (roles member only); and refused ones: STAMPEDE_OTHER_SUB_TOKEN,
//   STAMPEDE_EXPIRED_TOKEN, STAMPEDE_BAD_SIGNATURE_TOKEN, STAMPEDE_OTHER_ISSUER_TOKEN.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  makeClient, connect, Inbox, subscribe, close, ms, waitUntil, withTimeout, sync,
} from './lib.mjs';

const env = (name) => {
  const value = process.env[`STAMPEDE_${name}`];
  if (!value) throw new Error(`set STAMPEDE_${name}`);
  return value;
};
const SUB = env('SUB');
const SHORT = env('SHORT_TOKEN');
const SHORT_EXP = Number(env('SHORT_EXP'));
const LONG = env('LONG_TOKEN');
const LONG_EXP = Number(env('LONG_EXP'));
const NEAR = env('NEAR_TOKEN');
const NEAR_EXP = Number(env('NEAR_EXP'));
const MEMBER = env('MEMBER_TOKEN');

const withToken = (token) => makeClient({ connectHeaders: { Authorization: `Bearer ${token}` } });

let receipts = 0;
/** SEND /stampede/token with `token`; resolves with the RECEIPT frame. */
function refresh(client, token) {
  const id = `refresh-${receipts++}`;
  const got = new Promise((resolve) => client.watchForReceipt(id, resolve));
  client.publish({
    destination: '/stampede/token',
    headers: { Authorization: `Bearer ${token}`, receipt: id },
  });
  return withTimeout(got, 10000, `RECEIPT ${id}`);
}

/** Publishes to `topic` and waits until `inbox` has one more message with that body. */
async function roundTrip(client, topic, inbox, body) {
  const before = inbox.messages.length;
  client.publish({ destination: topic, body });
  const messages = await inbox.waitFor(before + 1);
  assert.equal(messages[before].body, body);
}

test('a refresh carries the session past the first token\'s expiry; warnings come before each expiry',
  { timeout: ms(60000) }, async () => {
    const refreshed = withToken(SHORT);
    const control = withToken(SHORT);  // the same principal, never refreshed
    try {
      const connected = await connect(refreshed);
      assert.equal(connected.headers['user-name'], SUB);
      assert.equal(connected.headers['x-token-expires-at'], String(SHORT_EXP * 1000));
      await connect(control);
      const controlClosed = new Promise((resolve) => {
        control.onWebSocketClose = resolve;
      });

      // SHORT has less than auth.token_warning_s left: warned of at once.
      const warnings = new Inbox();
      await subscribe(refreshed, '/stampede/token', warnings);
      const [first] = await warnings.waitFor(1);
      assert.equal(first.headers.destination, '/stampede/token');
      assert.equal(first.headers['x-token-expires-at'], String(SHORT_EXP * 1000));
      assert.equal(JSON.parse(first.body).event, 'expiring');
      assert.equal(JSON.parse(first.body).expires_at, SHORT_EXP * 1000);

      const topic = '/topic/js.token.refreshed';
      const inbox = new Inbox();
      await subscribe(refreshed, topic, inbox);
      const receipt = await refresh(refreshed, LONG);
      assert.equal(receipt.headers['x-token-expires-at'], String(LONG_EXP * 1000));

      // Past SHORT's exp: the control session is cut, the refreshed one goes on.
      await waitUntil(() => Date.now() > SHORT_EXP * 1000 + 1500,
        30000 + (SHORT_EXP * 1000 - Date.now()), 'the first token\'s expiry');
      await withTimeout(controlClosed, 10000, 'the control session closing');
      assert.equal(control.events.errors[0]?.headers.message, 'token expired');
      await roundTrip(refreshed, topic, inbox, 'still here after the first exp');
      assert.equal(warnings.messages.length, 1, 'LONG is an hour away: no warning yet');

      // A refresh to a token inside the warning period: a new warning for the new exp.
      const near = await refresh(refreshed, NEAR);
      assert.equal(near.headers['x-token-expires-at'], String(NEAR_EXP * 1000));
      const [, second] = await warnings.waitFor(2);
      assert.equal(second.headers['x-token-expires-at'], String(NEAR_EXP * 1000));
    } finally {
      await close(refreshed, control);
    }
  });

const refusals = [
  ['another principal', 'OTHER_SUB_TOKEN', 'token principal mismatch'],
  ['an expired token', 'EXPIRED_TOKEN', 'token expired'],
  ['a badly signed token', 'BAD_SIGNATURE_TOKEN', 'bad token signature'],
  ['a token from another issuer', 'OTHER_ISSUER_TOKEN', 'token issuer mismatch'],
];

for (const [what, variable, message] of refusals) {
  test(`a refresh with ${what} is an ERROR that closes the connection; others go on`,
    { timeout: ms(30000) }, async () => {
      const token = env(variable);
      const bystander = withToken(LONG);  // the same principal, on another connection
      const victim = withToken(LONG);
      try {
        await Promise.all([connect(bystander), connect(victim)]);
        const byInbox = new Inbox();
        await subscribe(bystander, '/topic/js.token.bystander', byInbox);
        const closed = new Promise((resolve) => {
          victim.onWebSocketClose = resolve;
        });
        victim.publish({
          destination: '/stampede/token',
          headers: { Authorization: `Bearer ${token}`, receipt: 'doomed-refresh' },
        });
        await withTimeout(closed, 10000, 'the refused session closing');
        await waitUntil(() => victim.events.errors.length > 0, 5000, 'the ERROR frame');
        const [error] = victim.events.errors;
        assert.equal(error.headers.message, message);
        assert.equal(error.headers['receipt-id'], 'doomed-refresh');
        assert.match(error.body, /token refresh refused/);
        await roundTrip(bystander, '/topic/js.token.bystander', byInbox, `after ${what}`);
        assert.equal(bystander.events.errors.length, 0);
      } finally {
        await close(bystander, victim);
      }
    });
}

test('a subscription the refreshed roles no longer allow ends, and its callback is told',
  { timeout: ms(30000) }, async () => {
    const client = withToken(LONG);  // member and admin
    const publisher = withToken(LONG);
    try {
      await Promise.all([connect(client), connect(publisher)]);
      const admin = new Inbox();
      const room = new Inbox();
      await subscribe(client, '/topic/admin.js', admin);
      await subscribe(client, '/topic/js.token.room', room);

      const receipt = await refresh(client, MEMBER);  // member only
      assert.equal(receipt.headers['x-token-expires-at'], String(LONG_EXP * 1000));
      assert.equal(admin.messages.length, 1, 'the notice comes before the RECEIPT');
      const [notice] = admin.messages;
      assert.equal(notice.headers['x-subscription-ended'], 'access revoked');
      assert.equal(notice.headers.destination, '/topic/admin.js');
      assert.equal(notice.headers.ack, undefined);

      // The admin topic reaches it no more; the room still does; the session goes on.
      publisher.publish({ destination: '/topic/admin.js', body: 'for admins' });
      await sync(publisher);
      await roundTrip(publisher, '/topic/js.token.room', room, 'for members');
      await sync(client);
      assert.equal(admin.messages.length, 1);
      assert.equal(client.events.errors.length, 0);
      assert.equal(client.connected, true);
    } finally {
      await close(client, publisher);
    }
  });
