// A stompjs peer driven by the Python integration tests (test_cross_transport.py):
//   node peer.mjs sub <destination> <count>   prints {"event":"ready"}, then the messages
//   node peer.mjs pub <destination> <count>   publishes, waits for a RECEIPT, prints done
// Output is one JSON object per line on stdout; exit status 0 on success.
import { makeClient, connect, Inbox, subscribe, close, sync } from './lib.mjs';

const [mode, destination, countArg] = process.argv.slice(2);
const count = Number(countArg ?? '1');
const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

async function main() {
  const client = makeClient();
  await connect(client);
  if (mode === 'sub') {
    const inbox = new Inbox();
    await subscribe(client, destination, inbox);
    emit({ event: 'ready' });
    const messages = await inbox.waitFor(count, 60000);
    emit({
      event: 'messages',
      messages: messages.map((m) => ({
        headers: m.headers,
        body: m.body,
        bodyBase64: Buffer.from(m.binaryBody).toString('base64'),
      })),
    });
  } else if (mode === 'pub') {
    for (let i = 0; i < count; i += 1) {
      client.publish({
        destination,
        body: `from stompjs ${i}`,
        headers: { 'x-n': String(i), 'content-type': 'text/plain', 'x-from': 'stompjs' },
      });
    }
    await sync(client);
    emit({ event: 'done' });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await close(client);
}

main().then(() => process.exit(0), (err) => {
  emit({ event: 'error', message: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});
