// @stomp/stompjs 7 with tokens in connectHeaders, against a broker with auth configured.
// Not a *.test.mjs: test_interop.py runs those on an anonymous broker; this one is run by
// tests/integration/test_auth_interop.py, which starts a broker with JWT issuers and passes:
//   STAMPEDE_WS_URL, STAMPEDE_GOOD_TOKEN (sub STAMPEDE_GOOD_SUB), STAMPEDE_BAD_TOKEN (signed
//   by another key), STAMPEDE_EXPIRED_TOKEN.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  makeClient, connect, Inbox, subscribe, close, ms, waitUntil,
} from './lib.mjs';

const GOOD = process.env.STAMPEDE_GOOD_TOKEN;
const SUB = process.env.STAMPEDE_GOOD_SUB;
const BAD = process.env.STAMPEDE_BAD_TOKEN;
const EXPIRED = process.env.STAMPEDE_EXPIRED_TOKEN;
if (!GOOD || !SUB || !BAD || !EXPIRED) {
  throw new Error('set STAMPEDE_GOOD_TOKEN, STAMPEDE_GOOD_SUB, STAMPEDE_BAD_TOKEN, STAMPEDE_EXPIRED_TOKEN');
}

async function connectsAs(connectHeaders, topic) {
  const client = makeClient({ connectHeaders });
  try {
    const frame = await connect(client);
    assert.equal(frame.command, 'CONNECTED');
    const inbox = new Inbox();
    await subscribe(client, topic, inbox);
    client.publish({ destination: topic, body: 'who am i', headers: { 'x-sender': 'forged' } });
    const [message] = await inbox.waitFor(1);
    assert.equal(message.body, 'who am i');
    assert.equal(message.headers['x-sender'], SUB);
  } finally {
    await close(client);
  }
}

/** Connecting fails: an ERROR frame with this message, then the socket closes. */
async function refused(connectHeaders, expected) {
  // no connectionTimeout: its timer would outlive the refused socket and hold node open
  const client = makeClient({ connectHeaders, connectionTimeout: 0 });
  const errors = [];
  const outcome = new Promise((resolve) => {
    client.onConnect = () => resolve('connected');
    client.onStompError = (frame) => errors.push(frame);
    client.onWebSocketClose = () => resolve('closed');
  });
  client.activate();
  try {
    assert.equal(await outcome, 'closed');
    await waitUntil(() => errors.length > 0, 5000, 'the ERROR frame');
    assert.equal(errors[0].headers.message, expected);
  } finally {
    await close(client);
  }
}

test('good token in Authorization: Bearer', { timeout: ms(20000) }, async () => {
  await connectsAs({ Authorization: `Bearer ${GOOD}` }, '/topic/js.auth.bearer');
});

test('good token as passcode without login', { timeout: ms(20000) }, async () => {
  await connectsAs({ passcode: GOOD }, '/topic/js.auth.passcode');
});

test('good token as passcode with login bearer', { timeout: ms(20000) }, async () => {
  await connectsAs({ login: 'bearer', passcode: GOOD }, '/topic/js.auth.login-bearer');
});

test('good token in the token header', { timeout: ms(20000) }, async () => {
  await connectsAs({ token: GOOD }, '/topic/js.auth.token');
});

test('token signed by another key is refused', { timeout: ms(20000) }, async () => {
  await refused({ Authorization: `Bearer ${BAD}` }, 'bad token signature');
});

test('token signed by another key as passcode is refused', { timeout: ms(20000) }, async () => {
  await refused({ passcode: BAD }, 'bad token signature');
});

test('expired token is refused', { timeout: ms(20000) }, async () => {
  await refused({ Authorization: `Bearer ${EXPIRED}` }, 'token expired');
});

test('no credentials: authentication required', { timeout: ms(20000) }, async () => {
  await refused({}, 'authentication required');
});
