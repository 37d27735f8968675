#!/usr/bin/env node
/**
 * Soak test: the built grpctap CLI (`--record` on, `--output json` to a file) under a steady mix
 * of gRPC traffic for minutes: unary calls, server streams, bidi streams, error statuses, client
 * cancels, missed deadlines, and a few bidi streams that last the whole run. Every 10 s it samples
 * the proxy's RSS and open file descriptors; at the end it compares the records with what the
 * client saw, call by call, and reports the RSS trend after warm-up.
 *
 * Usage: node bench/soak/run-soak.mjs [--minutes 10] [--rate 40] [--long-streams 4]
 *          [--cli dist/src/cli/main.js] [--json FILE] [--keep]
 * Exit code 0 when the proxy never crashed, exited 0 on SIGTERM, and every call was recorded.
 */
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { compareLedger, readRssMiB, slope, tallyRecords } from './soak-report.mjs';
import { createTraffic, loadEcho, pickCall, startEchoServer } from './soak-traffic.mjs';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '40' },
    'long-streams': { type: 'string', default: '4' },
    cli: { type: 'string', default: path.join(REPO, 'dist', 'src', 'cli', 'main.js') },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const longStreams = Number(values['long-streams']);
const cli = path.resolve(values.cli);
const SAMPLE_MS = 10_000;
const MAX_IN_FLIGHT = 400;
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const log = (line) => process.stderr.write(`[${elapsed().toFixed(0).padStart(4)} s] ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = mkdtempSync(path.join(os.tmpdir(), 'grpctap-soak-'));
const recordPath = path.join(dir, 'records.ndjson');
const stdoutPath = path.join(dir, 'stdout.ndjson');

// The upstream's certificate comes from the built project's own CA code.
const cliRoot = path.resolve(cli, '..', '..');
const { loadOrCreateCa } = await import(path.join(cliRoot, 'tls', 'ca-store.js'));
const { createLeafMinter } = await import(path.join(cliRoot, 'tls', 'leaf-minter.js'));
const { ca } = await loadOrCreateCa(path.join(dir, 'upstream-ca'));
const leaf = createLeafMinter(ca).mint('localhost');

const Echo = loadEcho(path.join(REPO, 'fixtures', 'e2e', 'echo.proto'));
const server = await startEchoServer(Echo, leaf);

const stdoutFile = createWriteStream(stdoutPath);
const proxy = spawn(
  process.execPath,
  [
    cli,
    '--listen',
    '127.0.0.1:0',
    '--certs-dir',
    path.join(dir, 'certs'),
    '--upstream-ca',
    ca.certPath,
    '--record',
    recordPath,
    '--output',
    'json',
  ],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
);
proxy.stdout.pipe(stdoutFile);
let stderr = '';
proxy.stderr.setEncoding('utf8').on('data', (chunk) => {
  stderr += chunk;
});
let crashed = null;
proxy.once('exit', (code, signal) => {
  if (!stopping) crashed = { code, signal };
});
let stopping = false;
const port = await new Promise((resolve, reject) => {
  const timer = setInterval(() => {
    const match = /listening on \S+:(\d+)/.exec(stderr);
    if (match) {
      clearInterval(timer);
      resolve(Number(match[1]));
    } else if (proxy.exitCode !== null) {
      clearInterval(timer);
      reject(new Error(`proxy exited: ${stderr}`));
    }
  }, 50);
});
log(
  `proxy pid ${proxy.pid} on 127.0.0.1:${port}; ${minutes} min at ${rate} calls/s; files in ${dir}`,
);

process.env.grpc_proxy = `http://127.0.0.1:${port}`;
const proxyCa = await import('node:fs/promises').then((fs) =>
  fs.readFile(path.join(dir, 'certs', 'ca.pem')),
);
const clients = Array.from(
  { length: 4 },
  () =>
    new Echo(`localhost:${server.port}`, grpc.credentials.createSsl(proxyCa), {
      'grpc.use_local_subchannel_pool': 1,
    }),
);
const ledger = new Map();
const traffic = clients.map((client) => createTraffic(client, ledger));

const samples = [];
const sample = () => {
  const rss = readRssMiB(proxy.pid);
  let fds = null;
  try {
    fds = readdirSync(`/proc/${proxy.pid}/fd`).length;
  } catch {
    // The proxy may have exited between samples; the report shows the gap.
  }
  let recordBytes = 0;
  try {
    recordBytes = statSync(recordPath).size;
  } catch {
    // No record file yet.
  }
  samples.push({ at: elapsed(), rss, fds, calls: ledger.size, inFlight, recordBytes });
  log(
    `rss ${rss?.toFixed(1)} MiB, fds ${fds}, calls ${ledger.size}, in flight ${inFlight}, records ${(recordBytes / 2 ** 20).toFixed(1)} MiB`,
  );
};

let inFlight = 0;
const pending = new Set();
const track = (promise) => {
  inFlight += 1;
  pending.add(promise);
  promise.finally(() => {
    inFlight -= 1;
    pending.delete(promise);
  });
};

const durationMs = minutes * 60_000;
const longCount = Math.max(1, Math.floor(durationMs / 1000) - 5);
for (let index = 0; index < longStreams; index++) {
  track((traffic[index % traffic.length] ?? traffic[0]).bidi({ count: longCount, pauseMs: 1000 }));
}
sample();
const sampler = setInterval(sample, SAMPLE_MS);
const tickMs = 100;
let due = 0;
let skipped = 0;
let roll = 0;
while (performance.now() - started < durationMs && crashed === null) {
  due += (rate * tickMs) / 1000;
  while (due >= 1) {
    due -= 1;
    if (inFlight >= MAX_IN_FLIGHT) {
      skipped += 1;
      continue;
    }
    // A fixed low-discrepancy sequence instead of Math.random: the same mix every run.
    roll = (roll + 0.6180339887) % 1;
    track(pickCall(traffic[ledger.size % traffic.length], roll));
  }
  await sleep(tickMs);
}
log(`stopped starting calls; waiting for ${inFlight} in flight`);
const drainDeadline = performance.now() + 60_000;
while (pending.size > 0 && performance.now() < drainDeadline) await sleep(200);
clearInterval(sampler);
sample();
for (const client of clients) client.close();
server.close();

stopping = true;
const exitCode =
  crashed === null
    ? await new Promise((resolve) => {
        proxy.once('exit', (code) => resolve(code));
        proxy.kill('SIGTERM');
      })
    : null;
await new Promise((resolve) => stdoutFile.end(resolve));

const tally = await tallyRecords(recordPath);
const stdoutTally = await tallyRecords(stdoutPath);
const comparison = compareLedger(ledger, tally);
const warm = samples.filter((s) => s.at >= Math.min(60, durationMs / 5000) && s.rss !== null);
const rssSlope = slope(
  warm.map((s) => s.at / 60),
  warm.map((s) => s.rss),
);
const kinds = {};
const codes = {};
let sent = 0;
let received = 0;
let recordedSend = 0;
let recordedReceive = 0;
for (const entry of ledger.values()) {
  kinds[entry.kind] = (kinds[entry.kind] ?? 0) + 1;
  codes[entry.code] = (codes[entry.code] ?? 0) + 1;
  sent += entry.sent;
  received += entry.received;
  const flow = tally.byCall.get(entry.id);
  recordedSend += flow?.send ?? 0;
  recordedReceive += flow?.receive ?? 0;
}
const rssValues = samples.map((s) => s.rss).filter((v) => v !== null);
const summary = {
  minutes,
  rate,
  calls: ledger.size,
  skippedForInFlightCap: skipped,
  kinds,
  statusCodes: codes,
  messages: { clientSent: sent, clientReceived: received, recordedSend, recordedReceive },
  records: { fileLines: tally.lines, stdoutLines: stdoutTally.lines, flows: tally.flows },
  comparison: {
    okCalls: comparison.ok,
    okMatched: comparison.okMatched,
    otherCallsEnded: comparison.otherEnded,
    missing: comparison.missing.length,
    mismatched: comparison.mismatched.length,
    examples: [...comparison.missing.slice(0, 5), ...comparison.mismatched.slice(0, 5)],
  },
  rssMiB: {
    first: rssValues[0],
    min: Math.min(...rssValues),
    max: Math.max(...rssValues),
    last: rssValues.at(-1),
    slopeAfterWarmupMiBPerMin: Number(rssSlope.toFixed(3)),
  },
  fds: { first: samples[0]?.fds, last: samples.at(-1)?.fds },
  crashed,
  exitCode,
  stderrLines: stderr.split('\n').filter(Boolean).length,
  samples,
};
const ok =
  crashed === null &&
  exitCode === 0 &&
  comparison.missing.length === 0 &&
  comparison.mismatched.length === 0 &&
  tally.lines === stdoutTally.lines;
process.stdout.write(`${JSON.stringify({ ...summary, samples: undefined }, null, 2)}\n`);
if (crashed !== null) log(`the proxy crashed; its stderr ends with:\n${stderr.slice(-4000)}`);
log(ok ? 'PASS' : 'FAIL');
if (values.json) writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(path.join(dir, 'stderr.log'), stderr);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
