// stompjs 7 connects with each WebSocket subprotocol and with none, and the session works.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  Versions, WebSocket, WS_URL, makeClient, connect, Inbox, subscribe, close, ms,
} from './lib.mjs';

const cases = [
  { name: 'v12.stomp', versions: ['1.2'], protocol: 'v12.stomp', version: '1.2' },
  { name: 'v11.stomp', versions: ['1.1'], protocol: 'v11.stomp', version: '1.1' },
  { name: 'v10.stomp', versions: ['1.0'], protocol: 'v10.stomp', version: '1.0' },
  { name: 'all three', versions: ['1.2', '1.1', '1.0'], protocol: 'v12.stomp', version: '1.2' },
];

for (const c of cases) {
  test(`connect with subprotocol ${c.name}`, { timeout: ms(20000) }, async () => {
    const client = makeClient({ stompVersions: new Versions(c.versions) });
    try {
      const frame = await connect(client);
      assert.equal(client.webSocket.protocol, c.protocol);
      assert.equal(frame.headers.version, c.version);
      assert.match(frame.headers.server, /^Stampede\/\S+$/);
      assert.match(frame.headers.session, /^\d+-\S+$/);
      assert.ok('heart-beat' in frame.headers);
      const inbox = new Inbox();
      await subscribe(client, `/topic/connect.${c.version}`, inbox);
      client.publish({ destination: `/topic/connect.${c.version}`, body: `hello ${c.name}` });
      const [message] = await inbox.waitFor(1);
      assert.equal(message.body, `hello ${c.name}`);
    } finally {
      await close(client);
    }
  });
}

test('connect with no subprotocol at all', { timeout: ms(20000) }, async () => {
  const client = makeClient({ webSocketFactory: () => new WebSocket(WS_URL) });
  try {
    const frame = await connect(client);
    assert.equal(client.webSocket.protocol, '');
    assert.equal(frame.headers.version, '1.2'); // stompjs offers 1.2,1.1,1.0
    const inbox = new Inbox();
    await subscribe(client, '/topic/connect.none', inbox);
    client.publish({ destination: '/topic/connect.none', body: 'no subprotocol' });
    const [message] = await inbox.waitFor(1);
    assert.equal(message.body, 'no subprotocol');
  } finally {
    await close(client);
  }
});

test('connectHeaders login/passcode are accepted when anonymous', { timeout: ms(20000) }, async () => {
  const client = makeClient({ connectHeaders: { login: 'guest', passcode: 'guest' } });
  try {
    const frame = await connect(client);
    assert.equal(frame.command, 'CONNECTED');
  } finally {
    await close(client);
  }
});
