// Byte-exact cases with the plain `ws` client: the WebSocket is a byte stream to the broker's
// parser (several frames in one message, one frame over many messages, lone EOLs), and bodies
// that are not valid UTF-8 come back in binary WebSocket frames, valid UTF-8 in text frames.
import test from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, WS_URL, withTimeout, ms } from './lib.mjs';

/** One raw connection: collects parsed STOMP frames and the kind of each WS message. */
class RawConn {
  constructor(protocols = ['v12.stomp']) {
    this.ws = new WebSocket(WS_URL, protocols);
    this.buffer = Buffer.alloc(0);
    this.frames = [];
    this.wsMessages = []; // { isBinary, data }
    this.heartbeats = 0;
    this.closed = false;
    this.waiters = [];
    this.ws.on('message', (data, isBinary) => {
      this.wsMessages.push({ isBinary, data: Buffer.from(data) });
      this.buffer = Buffer.concat([this.buffer, Buffer.from(data)]);
      this.parse();
      this.notify();
    });
    this.ws.on('close', () => { this.closed = true; this.notify(); });
    this.ws.on('error', () => {});
  }

  open() {
    return withTimeout(new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) { resolve(); return; }
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    }), 10000, 'WebSocket open');
  }

  notify() { this.waiters = this.waiters.filter((w) => !w()); }

  until(predicate, timeoutMs, what) {
    return withTimeout(new Promise((resolve) => {
      const check = () => { if (predicate()) { resolve(); return true; } return false; };
      if (!check()) this.waiters.push(check);
    }), timeoutMs, what);
  }

  parse() {
    for (;;) {
      let i = 0;
      while (i < this.buffer.length && (this.buffer[i] === 0x0a || this.buffer[i] === 0x0d)) {
        if (this.buffer[i] === 0x0a) this.heartbeats += 1;
        i += 1;
      }
      this.buffer = this.buffer.subarray(i);
      const headEnd = this.buffer.indexOf('\n\n');
      if (headEnd < 0) return;
      const lines = this.buffer.subarray(0, headEnd).toString('utf8').split('\n');
      const headers = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon);
        if (!(name in headers)) headers[name] = line.slice(colon + 1);
      }
      const start = headEnd + 2;
      let end;
      if (headers['content-length'] !== undefined) {
        end = start + Number(headers['content-length']);
        if (this.buffer.length < end + 1) return;
        assert.equal(this.buffer[end], 0, 'NUL after the body');
      } else {
        end = this.buffer.indexOf(0, start);
        if (end < 0) return;
      }
      this.frames.push({ command: lines[0], headers, body: Buffer.from(this.buffer.subarray(start, end)) });
      this.buffer = this.buffer.subarray(end + 1);
    }
  }

  send(data) { this.ws.send(data); }

  async frame(command, timeoutMs = 10000) {
    await this.until(() => this.frames.length > 0, timeoutMs, `a ${command} frame`);
    const f = this.frames.shift();
    assert.equal(f.command, command, `expected ${command}, got ${JSON.stringify(f)}`);
    return f;
  }

  async connect(heartBeat = '0,0') {
    await this.open();
    this.send(`CONNECT\naccept-version:1.2\nhost:h\nheart-beat:${heartBeat}\n\n\0`);
    return this.frame('CONNECTED');
  }

  close() { this.ws.terminate(); }
}

const frame = (command, headers, body = '') => {
  const head = Object.entries(headers).map(([k, v]) => `${k}:${v}\n`).join('');
  return `${command}\n${head}\n${body}\0`;
};

test('several frames in one WebSocket message', { timeout: ms(20000) }, async () => {
  const c = new RawConn();
  try {
    await c.open();
    c.send(`CONNECT\naccept-version:1.2\nhost:h\n\n\0${
      frame('SUBSCRIBE', { destination: '/topic/packed', id: 's', receipt: 'r1' })}${
      frame('SEND', { destination: '/topic/packed' }, 'one')}\n${
      frame('SEND', { destination: '/topic/packed' }, 'two')}${
      frame('SEND', { destination: '/topic/packed', receipt: 'r2' }, 'three')}`);
    await c.frame('CONNECTED');
    assert.equal((await c.frame('RECEIPT')).headers['receipt-id'], 'r1');
    const bodies = [];
    await c.until(() => c.frames.length >= 4, 10000, 'three MESSAGEs and a RECEIPT');
    for (const f of c.frames.splice(0)) {
      if (f.command === 'MESSAGE') bodies.push(f.body.toString());
      else assert.equal(f.headers['receipt-id'], 'r2');
    }
    assert.deepEqual(bodies, ['one', 'two', 'three']);
  } finally {
    c.close();
  }
});

test('one frame spread over many WebSocket messages, cut anywhere', { timeout: ms(20000) }, async () => {
  const c = new RawConn();
  try {
    await c.connect();
    c.send(frame('SUBSCRIBE', { destination: '/topic/cut', id: 's', receipt: 'r' }));
    await c.frame('RECEIPT');
    const bytes = Buffer.from(frame('SEND', { destination: '/topic/cut', 'x-h': 'v', 'content-length': 11 },
      'hello\0world'));
    // byte by byte, then in uneven pieces, each piece its own WebSocket message (binary)
    for (const b of bytes) c.send(Buffer.from([b]));
    for (let i = 0; i < bytes.length; i += 7) c.send(bytes.subarray(i, i + 7));
    // and as text messages split inside a header name and inside the command
    const text = frame('SEND', { destination: '/topic/cut' }, 'text pieces');
    c.send(text.slice(0, 2)); c.send(text.slice(2, 15)); c.send(text.slice(15));
    await c.until(() => c.frames.length >= 3, 10000, 'three MESSAGEs');
    const [m1, m2, m3] = c.frames;
    assert.deepEqual(m1.body, Buffer.from('hello\0world'));
    assert.equal(m1.headers['x-h'], 'v');
    assert.deepEqual(m2.body, Buffer.from('hello\0world'));
    assert.equal(m3.body.toString(), 'text pieces');
  } finally {
    c.close();
  }
});

test('lone EOLs are heart-beats, as messages of their own and between frames', { timeout: ms(20000) }, async () => {
  const c = new RawConn();
  try {
    await c.open();
    c.send('\n');
    c.send('\r\n');
    c.send(`CONNECT\naccept-version:1.2\nhost:h\nheart-beat:100,0\n\n\0`);
    await c.frame('CONNECTED');
    const start = Date.now();
    // the broker wants a beat every 100 ms (grace 2.0): keep sending lone EOLs for 1 s
    while (Date.now() - start < 1000) {
      c.send(Date.now() % 2 ? '\n' : '\r\n');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(c.closed, false, 'closed although heart-beats were sent');
    c.send(`\n\n${frame('SEND', { destination: '/topic/x', receipt: 'alive' })}\n`);
    assert.equal((await c.frame('RECEIPT')).headers['receipt-id'], 'alive');
  } finally {
    c.close();
  }
});

test('broker heart-beats arrive as lone EOL messages', { timeout: ms(20000) }, async () => {
  const c = new RawConn();
  try {
    await c.connect('0,100');
    await c.until(() => c.heartbeats >= 3, 5000, 'three heart-beats from the broker');
    const beats = c.wsMessages.filter((m) => m.data.toString() === '\n');
    assert.ok(beats.length >= 3, 'each heart-beat is a lone EOL message');
    assert.equal(c.frames.length, 0);
  } finally {
    c.close();
  }
});

test('a silent client gets ERROR heart-beat timeout, then close', { timeout: ms(20000) }, async () => {
  const c = new RawConn();
  try {
    await c.connect('100,0');
    await c.until(() => c.closed, 5000, 'close after silence');
    const error = c.frames.find((f) => f.command === 'ERROR');
    assert.ok(error, `no ERROR frame: ${JSON.stringify(c.frames)}`);
    assert.equal(error.headers.message, 'heart-beat timeout');
  } finally {
    c.close();
  }
});

test('invalid UTF-8 body goes in a binary frame, valid UTF-8 in a text frame', { timeout: ms(20000) }, async () => {
  const sub = new RawConn();
  const pub = new RawConn();
  try {
    await sub.connect();
    await pub.connect();
    sub.send(frame('SUBSCRIBE', { destination: '/topic/utf', id: 's', receipt: 'r' }));
    await sub.frame('RECEIPT');
    const invalid = Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80]);
    const valid = Buffer.from('héllo wörld € 😀', 'utf8');
    const send = (body, tag) => Buffer.concat([
      Buffer.from(`SEND\ndestination:/topic/utf\nx-tag:${tag}\ncontent-length:${body.length}\n\n`),
      body, Buffer.from([0])]);
    pub.send(send(invalid, 'invalid'));
    await sub.until(() => sub.frames.length >= 1, 10000, 'the first MESSAGE');
    pub.send(send(valid, 'valid'));
    await sub.until(() => sub.frames.length >= 2, 10000, 'the second MESSAGE');
    const [m1, m2] = sub.frames;
    assert.equal(m1.headers['x-tag'], 'invalid');
    assert.deepEqual(m1.body, invalid);
    assert.deepEqual(m2.body, valid);
    const carrying = (body) => sub.wsMessages.filter((m) => m.data.includes(body));
    assert.equal(carrying(invalid).length, 1);
    assert.equal(carrying(invalid)[0].isBinary, true, 'invalid UTF-8 must travel in a binary frame');
    assert.equal(carrying(valid).length, 1);
    assert.equal(carrying(valid)[0].isBinary, false, 'valid UTF-8 goes as text');
  } finally {
    sub.close();
    pub.close();
  }
});
