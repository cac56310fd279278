// Shared helpers for the interop scenarios: @stomp/stompjs 7 over the `ws` package in Node.
// The broker URL comes from STAMPEDE_WS_URL (set by tests/integration/test_interop.py, which
// starts the real broker). Every wait has a deadline, scaled by STAMPEDE_TIME_FACTOR.
import { Client, Versions } from '@stomp/stompjs';
import WebSocket from 'ws';

Object.assign(globalThis, { WebSocket });

export { Client, Versions, WebSocket };

export const WS_URL = process.env.STAMPEDE_WS_URL ?? process.argv[2];
if (!WS_URL) {
  throw new Error('set STAMPEDE_WS_URL (ws://127.0.0.1:<port>/ws)');
}
export const TIME_FACTOR = Math.max(1, Number(process.env.STAMPEDE_TIME_FACTOR ?? '1') || 1);

/** ms scaled for slow (sanitizer) builds. */
export const ms = (n) => n * TIME_FACTOR;

export function withTimeout(promise, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms(timeoutMs)} ms: ${what}`)),
      ms(timeoutMs));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A stompjs Client that never reconnects and records what happens to it. */
export function makeClient(options = {}) {
  const events = { errors: [], closes: [], heartbeats: 0, unhandled: [] };
  const client = new Client({
    brokerURL: WS_URL,
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    connectionTimeout: ms(10000),
    debug: process.env.STAMPEDE_DEBUG ? (s) => console.error(s) : () => {},
    onStompError: (frame) => events.errors.push(frame),
    onWebSocketClose: (evt) => events.closes.push(evt),
    onHeartbeatReceived: () => { events.heartbeats += 1; },
    onUnhandledMessage: (m) => events.unhandled.push(m),
    ...options,
  });
  client.events = events;
  return client;
}

/** Activates the client and resolves with the CONNECTED frame. */
export function connect(client, timeoutMs = 10000) {
  const connected = new Promise((resolve, reject) => {
    client.onConnect = (frame) => resolve(frame);
    const previousError = client.onStompError;
    client.onStompError = (frame) => {
      previousError(frame);
      reject(new Error(`ERROR while connecting: ${frame.headers.message}`));
    };
    client.onWebSocketClose = (evt) => {
      client.events.closes.push(evt);
      reject(new Error(`WebSocket closed while connecting (code ${evt.code})`));
    };
  });
  client.activate();
  return withTimeout(connected, timeoutMs, 'CONNECTED').then((frame) => {
    // from here on, closes are just recorded
    client.onWebSocketClose = (evt) => client.events.closes.push(evt);
    client.onStompError = (f) => client.events.errors.push(f);
    return frame;
  });
}

/** Collects the messages of one subscription; waitFor(n) resolves with the first n. */
export class Inbox {
  constructor() {
    this.messages = [];
    this.waiters = [];
    this.onMessage = (message) => {
      this.messages.push(message);
      this.waiters = this.waiters.filter((w) => !w());
    };
  }

  waitFor(count, timeoutMs = 10000) {
    const ready = new Promise((resolve) => {
      const check = () => {
        if (this.messages.length >= count) {
          resolve(this.messages.slice(0, count));
          return true;
        }
        return false;
      };
      if (!check()) this.waiters.push(check);
    });
    return withTimeout(ready, timeoutMs, `${count} messages (have ${this.messages.length})`);
  }
}

/** Resolves when the broker has handled everything this client sent before (a RECEIPT). */
let receiptCounter = 0;
export function sync(client, timeoutMs = 10000) {
  const id = `sync-${process.pid}-${receiptCounter++}`;
  const got = new Promise((resolve) => client.watchForReceipt(id, resolve));
  client.publish({ destination: '/topic/_sync_', headers: { receipt: id }, body: '' });
  return withTimeout(got, timeoutMs, `RECEIPT ${id}`);
}

/** Subscribes and waits until the broker has the subscription (RECEIPT on SUBSCRIBE). */
export async function subscribe(client, destination, inbox, headers = {}) {
  const id = `sub-receipt-${process.pid}-${receiptCounter++}`;
  const got = new Promise((resolve) => client.watchForReceipt(id, resolve));
  const sub = client.subscribe(destination, inbox.onMessage, { ...headers, receipt: id });
  await withTimeout(got, 10000, `RECEIPT for SUBSCRIBE ${destination}`);
  return sub;
}

export function waitUntil(predicate, timeoutMs, what) {
  return withTimeout(new Promise((resolve) => {
    const poll = () => (predicate() ? resolve() : setTimeout(poll, 5));
    poll();
  }), timeoutMs, what);
}

export async function close(...clients) {
  await Promise.all(clients.map((c) => withTimeout(c.deactivate(), 10000, 'deactivate')
    .catch(() => c.forceDisconnect())));
}
