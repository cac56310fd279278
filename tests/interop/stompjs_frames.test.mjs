// Frame shapes stompjs produces: splitLargeFrames (one STOMP frame cut into many WebSocket
// messages), binaryBody with NUL bytes (binary WebSocket frames both ways), text bodies.
import test from 'node:test';
import assert from 'node:assert/strict';
import { makeClient, connect, Inbox, subscribe, close, ms } from './lib.mjs';

async function pair(pubOptions = {}) {
  const sub = makeClient();
  const pub = makeClient(pubOptions);
  await connect(sub);
  await connect(pub);
  return { sub, pub };
}

test('splitLargeFrames: 100 KB body in 1024-byte WebSocket messages', { timeout: ms(30000) }, async () => {
  const { sub, pub } = await pair({ splitLargeFrames: true, maxWebSocketChunkSize: 1024 });
  try {
    const inbox = new Inbox();
    await subscribe(sub, '/topic/split', inbox);
    const ascii = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2845).slice(0, 100 * 1024);
    // multi-byte characters: chunk boundaries (in characters) do not fall on byte boundaries
    const accented = 'é€ñ✓'.repeat(10000);
    pub.publish({ destination: '/topic/split', body: ascii, headers: { 'x-kind': 'ascii' } });
    pub.publish({ destination: '/topic/split', body: accented, headers: { 'x-kind': 'utf8' } });
    const [a, b] = await inbox.waitFor(2, 20000);
    assert.equal(a.headers['x-kind'], 'ascii');
    assert.equal(a.body.length, ascii.length);
    assert.equal(a.body, ascii);
    assert.equal(a.headers['content-length'], String(100 * 1024));
    assert.equal(b.body, accented);
    assert.equal(b.headers['content-length'], String(Buffer.byteLength(accented)));
  } finally {
    await close(sub, pub);
  }
});

test('binaryBody with NUL bytes and every byte value', { timeout: ms(30000) }, async () => {
  const { sub, pub } = await pair();
  try {
    const inbox = new Inbox();
    await subscribe(sub, '/topic/binary', inbox);
    const bytes = new Uint8Array(4096 + 3);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 7) % 256;
    bytes[0] = 0; bytes[1] = 0; bytes[bytes.length - 1] = 0;
    pub.publish({
      destination: '/topic/binary', binaryBody: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    const onlyNuls = new Uint8Array([0, 0, 0]);
    pub.publish({ destination: '/topic/binary', binaryBody: onlyNuls });
    const [m1, m2] = await inbox.waitFor(2);
    assert.deepEqual(Buffer.from(m1.binaryBody), Buffer.from(bytes));
    assert.equal(m1.headers['content-length'], String(bytes.length));
    assert.equal(m1.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(Buffer.from(m2.binaryBody), Buffer.from(onlyNuls));
    assert.equal(m2.headers['content-type'], undefined);
  } finally {
    await close(sub, pub);
  }
});

test('empty body and a body of one NUL-free space', { timeout: ms(20000) }, async () => {
  const { sub, pub } = await pair();
  try {
    const inbox = new Inbox();
    await subscribe(sub, '/topic/empty', inbox);
    pub.publish({ destination: '/topic/empty', body: '' });
    pub.publish({ destination: '/topic/empty', body: ' ' });
    const [m1, m2] = await inbox.waitFor(2);
    assert.equal(m1.body, '');
    assert.equal(m1.headers['content-length'], '0');
    assert.equal(m2.body, ' ');
  } finally {
    await close(sub, pub);
  }
});

test('forceBinaryWSFrames: STOMP inside binary WebSocket messages', { timeout: ms(20000) }, async () => {
  const { sub, pub } = await pair({ forceBinaryWSFrames: true });
  try {
    const inbox = new Inbox();
    await subscribe(sub, '/topic/forced', inbox);
    pub.publish({ destination: '/topic/forced', body: 'sent as binary' });
    const [m] = await inbox.waitFor(1);
    assert.equal(m.body, 'sent as binary');
  } finally {
    await close(sub, pub);
  }
});
