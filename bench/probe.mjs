#!/usr/bin/env node
/**
 * Client-side probes, run as a child of the harness so they can be pinned to the load CPU. Each
 * prints one JSON line on stdout.
 *
 *   check       3 unary calls, 64×16 KiB and 2×1 MiB streamed, one paced stream: framing,
 *               message counts and grpc-status 0 through the target
 *   paced       --calls N paced streams (5 messages 100 ms apart): time to the first message,
 *               measured from the request on an already connected session
 *   slow-read   one stream of --mib MiB in --size byte messages, read at --rate bytes/s
 *   handshakes  TLS handshakes with --count never-seen host names (see lib/handshakes.mjs)
 *
 * Usage: node probe.mjs <command> --port P [--h2c] [options]
 */
import { parseArgs } from 'node:util';
import { callOnce, connectSession } from './lib/grpc-client.mjs';
import { measureHandshakes } from './lib/handshakes.mjs';
import { median } from './lib/stats.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    h2c: { type: 'boolean', default: false },
    calls: { type: 'string', default: '3' },
    count: { type: 'string', default: '40' },
    mib: { type: 'string', default: '64' },
    size: { type: 'string', default: '16384' },
    rate: { type: 'string', default: String(1 << 20) },
    timeout: { type: 'string', default: '30' },
  },
});
const port = Number(values.port);
const timeoutMs = Number(values.timeout) * 1000;
const target = { port, tls: !values.h2c };

const PACED = { method: 'Stream', count: 5, size: 64, intervalMs: 100 };

async function check() {
  const session = await connectSession(target);
  const calls = [
    ['unary ×3', { method: 'Unary' }, 3],
    ['stream 64×16 KiB', { method: 'Stream', count: 64, size: 16384 }, 1],
    ['stream 2×1 MiB', { method: 'Stream', count: 2, size: 1 << 20 }, 1],
    ['paced 5×64 B', PACED, 1],
  ];
  const results = [];
  for (const [name, call, times] of calls) {
    for (let i = 0; i < times; i++) {
      const result = await callOnce(session, { ...call, timeoutMs });
      results.push({ name, ...result });
    }
  }
  session.close();
  const failed = results.filter((r) => !r.ok);
  return {
    ok: failed.length === 0,
    calls: results.length,
    messages: results.reduce((sum, r) => sum + r.messages, 0),
    error: failed.map((r) => `${r.name}: ${r.error}`).join('; ') || null,
  };
}

async function paced() {
  const session = await connectSession(target);
  const results = [];
  for (let i = 0; i < Number(values.calls); i++) {
    results.push(await callOnce(session, { ...PACED, timeoutMs }));
  }
  session.close();
  const firstMessageMs = results.map((r) => r.firstMessageMs);
  return {
    ok: results.every((r) => r.ok),
    error: results.find((r) => !r.ok)?.error ?? null,
    firstMessageMs,
    medianFirstMessageMs: median(firstMessageMs),
    medianElapsedMs: median(results.map((r) => r.elapsedMs)),
  };
}

/** Pauses the stream whenever it is ahead of `rate`; a 64 KiB allowance smooths the start. */
function throttle(stream, rate) {
  const start = performance.now();
  let received = 0;
  stream.on('data', (chunk) => {
    received += chunk.length;
    const allowed = (rate * (performance.now() - start)) / 1000 + 65536;
    if (received <= allowed || stream.isPaused()) return;
    stream.pause();
    setTimeout(() => stream.resume(), ((received - allowed) * 1000) / rate);
  });
}

async function slowRead() {
  const session = await connectSession(target);
  const size = Number(values.size);
  const count = Math.round((Number(values.mib) * 1048576) / size);
  const rate = Number(values.rate);
  const result = await callOnce(session, {
    method: 'Stream',
    count,
    size,
    timeoutMs,
    onStream: (stream) => throttle(stream, rate),
  });
  session.close();
  return { ...result, count, size, rate, readMBps: result.bytes / 1e3 / result.elapsedMs };
}

const commands = {
  check,
  paced,
  'slow-read': slowRead,
  handshakes: () => measureHandshakes(port, Number(values.count)),
};
const command = commands[positionals[0]];
if (!command || !Number.isInteger(port)) {
  process.stderr.write('usage: node probe.mjs check|paced|slow-read|handshakes --port P [...]\n');
  process.exit(2);
}
try {
  const out = await command();
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exitCode = out.ok ? 0 : 1;
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: error.message })}\n`);
  process.exitCode = 1;
}
