/**
 * One measurement of one target in one scenario, with the proxy's CPU and peak RSS taken around
 * it and the backend's counters checked (a request the backend found malformed fails the row).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GRPC_HEADERS, parseH2loadOutput, readLatencies } from './h2load.mjs';
import { encodeMessage } from './lpm.mjs';
import { resetPeak, snapshotProcess } from './proc-stats.mjs';
import { countOutputs, resetOutputs, settleOutputs } from './record-file.mjs';

const PROBE = path.join(import.meta.dirname, '..', 'probe.mjs');

/** Parses `unary-c10m10`, `stream-16k`, `stream-1m`, `paced`; null for anything else. */
export function parseScenario(name) {
  let match = /^unary-c(\d+)m(\d+)$/.exec(name);
  if (match) return { name, kind: 'unary', clients: Number(match[1]), streams: Number(match[2]) };
  match = /^stream-(\d+)(k|m)$/.exec(name);
  if (match) {
    const size = Number(match[1]) * (match[2] === 'k' ? 1024 : 1 << 20);
    return { name, kind: 'stream', size };
  }
  if (name === 'paced') return { name, kind: 'paced' };
  return null;
}

let nextStatsId = 0;
/** The backend's counters, over its IPC channel. */
export function readBackendStats(backend) {
  const id = nextStatsId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null), 3000);
    const onMessage = (message) => {
      if (message?.type === 'stats' && message.id === id) finish(message.stats);
    };
    const finish = (stats) => {
      clearTimeout(timer);
      backend.off('message', onMessage);
      resolve(stats);
    };
    backend.on('message', onMessage);
    backend.send({ type: 'stats', id });
  });
}

function requestFile(ctx, bytes) {
  const file = path.join(ctx.stateDir, `request-${bytes}.bin`);
  if (!existsSync(file)) writeFileSync(file, encodeMessage(bytes));
  return file;
}

function h2loadTarget(target, method) {
  const scheme = target.tls ? 'https' : 'http';
  return [
    '--connect-to',
    `127.0.0.1:${target.port}`,
    `${scheme}://bench.local:${target.port}/bench.Echo/${method}`,
  ];
}

async function runUnary(ctx, target, scenario) {
  const logFile = path.join(ctx.stateDir, `h2load-${process.pid}.log`);
  const argv = [
    'h2load',
    ...['-D', String(ctx.options.duration), '--warm-up-time', String(ctx.options.warmup)],
    ...['-c', String(scenario.clients), '-m', String(scenario.streams), '-t', '1'],
    ...['-d', requestFile(ctx, ctx.options.payload), ...GRPC_HEADERS, '--log-file', logFile],
    ...h2loadTarget(target, 'Unary'),
  ];
  const timeoutMs = (ctx.options.duration + ctx.options.warmup + 30) * 1000;
  const run = await ctx.group.run(argv, { cpus: ctx.clientCpus, timeoutMs });
  const out = parseH2loadOutput(run.stdout);
  const latency = readLatencies(logFile);
  rmSync(logFile, { force: true });
  const errors = (out.failed ?? 0) + (out.errored ?? 0) + (out.timeout ?? 0);
  const result = {
    requestsPerSecond: out.requestsPerSecond ?? null,
    succeeded: out.succeeded ?? 0,
    p50: latency?.p50 ?? null,
    p90: latency?.p90 ?? null,
    p99: latency?.p99 ?? null,
    ok: !run.timedOut && run.code === 0 && (out.succeeded ?? 0) > 0 && errors === 0,
  };
  if (!result.ok) {
    result.note = run.timedOut
      ? 'h2load timed out'
      : `h2load exit ${run.code}, ${errors} errors: ${run.stderr.trim().split('\n').pop() ?? ''}`;
  } else if (out.statusOther > 0) {
    result.ok = false;
    result.note = `${out.statusOther} non-2xx responses`;
  }
  return result;
}

async function runStream(ctx, target, scenario) {
  const count = Math.max(1, Math.round((ctx.options.streamMiB * 1048576) / scenario.size));
  const expected = count * (5 + scenario.size);
  const argv = [
    'h2load',
    ...['-n', '1', '-c', '1', '-m', '1', '-t', '1', '-d', requestFile(ctx, 0), ...GRPC_HEADERS],
    ...['-H', `x-msg-count: ${count}`, '-H', `x-msg-size: ${scenario.size}`],
    ...h2loadTarget(target, 'Stream'),
  ];
  const run = await ctx.group.run(argv, {
    cpus: ctx.clientCpus,
    timeoutMs: ctx.options.streamTimeout * 1000,
  });
  const out = parseH2loadOutput(run.stdout);
  const bytes = out.dataBytes ?? 0;
  const result = {
    messages: count,
    bytes,
    seconds: out.requestMs ? out.requestMs / 1000 : null,
    megabytesPerSecond: out.requestMs ? bytes / 1e3 / out.requestMs : null,
    firstByteMs: out.firstByteMs ?? null,
    ok: !run.timedOut && run.code === 0 && out.status2xx === 1 && bytes === expected,
  };
  if (!result.ok) {
    result.note = run.timedOut
      ? `timed out after ${ctx.options.streamTimeout} s`
      : `exit ${run.code}, ${bytes} of ${expected} bytes`;
    if (run.timedOut) result.megabytesPerSecond = null;
  }
  return result;
}

async function runPaced(ctx, target) {
  const argv = [process.execPath, PROBE, 'paced', '--port', String(target.port), '--calls', '3'];
  if (!target.tls) argv.push('--h2c');
  const run = await ctx.group.run(argv, { cpus: ctx.clientCpus, timeoutMs: 30_000 });
  let out;
  try {
    out = JSON.parse(run.stdout.trim().split('\n').pop());
  } catch {
    out = { ok: false, error: run.stderr.trim().slice(-200) || 'no output' };
  }
  const result = { firstMessageMs: out.medianFirstMessageMs ?? null, ok: out.ok === true };
  if (!result.ok) result.note = out.error;
  return result;
}

/** What the record file must show for the scenario: every call became a flow, every end OK. */
function checkRecords(scenario, result, served) {
  const { records } = result;
  if (scenario.kind === 'unary') {
    // h2load cancels the calls in flight when its window closes: those end as errors.
    const inFlight = scenario.clients * scenario.streams;
    return records.flows >= served && records.okEnds >= served - inFlight;
  }
  if (scenario.kind === 'stream') {
    // The request's one message plus every response message.
    return records.flows === 1 && records.okEnds === 1 && records.data === result.messages + 1;
  }
  return records.flows === 3 && records.okEnds === 3;
}

/**
 * Measures `target` in `scenario` once. Adds proxy CPU seconds, CPU %, cost per call or per GB,
 * peak RSS, backend CPU % and, for grpctap, the record counts. Truncates grpctap's outputs after.
 */
export async function measure(ctx, target, scenario) {
  const pid = target.child?.pid;
  const backendBefore = await readBackendStats(ctx.backend.child);
  const before = snapshotProcess(pid);
  const backendCpuBefore = snapshotProcess(ctx.backend.child.pid);
  const peakReset = pid ? resetPeak(pid) : false;
  let result;
  if (scenario.kind === 'unary') result = await runUnary(ctx, target, scenario);
  else if (scenario.kind === 'stream') result = await runStream(ctx, target, scenario);
  else result = await runPaced(ctx, target);
  const backendCpuAfter = snapshotProcess(ctx.backend.child.pid);
  // grpctap writes records asynchronously: let it finish, so their cost counts.
  if (target.files) await settleOutputs(target.files);
  const after = snapshotProcess(pid);
  const backendAfter = await readBackendStats(ctx.backend.child);
  const wallSeconds = (backendCpuAfter.at - backendCpuBefore.at) / 1000;
  result.backendCpuPercent =
    (100 * (backendCpuAfter.cpuSeconds - backendCpuBefore.cpuSeconds)) / wallSeconds;
  const served = backendAfter && backendBefore ? backendAfter.unary - backendBefore.unary : null;
  if (backendAfter && backendBefore && backendAfter.malformed !== backendBefore.malformed) {
    result.ok = false;
    result.note = `${result.note ?? ''} backend saw malformed requests`.trim();
  }
  if (before && after) {
    const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
    result.proxyCpuSeconds = cpuSeconds;
    result.proxyCpuPercent = (100 * cpuSeconds) / wallSeconds;
    result.proxyPeakMiB = peakReset ? after.peakMiB : Math.max(after.peakMiB, after.rssMiB);
    if (scenario.kind === 'unary' && served)
      result.proxyMicrosPerCall = (cpuSeconds * 1e6) / served;
    if (scenario.kind === 'stream' && result.bytes) {
      result.proxySecondsPerGB = cpuSeconds / (result.bytes / 1e9);
    }
  }
  if (target.files) {
    result.records = countOutputs(target.files);
    result.recordsOk = checkRecords(scenario, result, served ?? 0);
    if (!result.recordsOk) {
      result.ok = false;
      result.note = `${result.note ?? ''} records do not match the calls`.trim();
    }
    resetOutputs(target.files);
  }
  result.served = served;
  return result;
}
