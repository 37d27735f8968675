/**
 * h2load (nghttp2 1.52) arguments and output parsing. h2load prints no percentiles, so latencies
 * come from `--log-file` rows (`start µs`, `status`, `duration µs`); with `-D`, requests cut off
 * at the end of the window have status 0 or -1 and are left out.
 */
import { readFileSync } from 'node:fs';
import { percentile } from './stats.mjs';

/** Headers that make h2load's POSTs gRPC requests (its body file holds one valid message). */
export const GRPC_HEADERS = ['-H', 'content-type: application/grpc', '-H', 'te: trailers'];

const UNIT_MS = { us: 1e-3, ms: 1, s: 1000 };

function toMs(text) {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2]] : null;
}

/** The numbers of h2load's summary: req/s, request counts, status classes, bytes, timings. */
export function parseH2loadOutput(text) {
  const out = {};
  let match = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(text);
  if (match) out.requestsPerSecond = Number(match[1]);
  match =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      text,
    );
  if (match) {
    [out.total, out.started, out.done, out.succeeded, out.failed, out.errored, out.timeout] = match
      .slice(1)
      .map(Number);
  }
  match = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(text);
  if (match) {
    out.status2xx = Number(match[1]);
    out.statusOther = Number(match[2]) + Number(match[3]) + Number(match[4]);
  }
  match = /traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers.*?, .*?\((\d+)\) data/.exec(text);
  if (match) out.dataBytes = Number(match[3]);
  for (const [key, label] of [
    ['requestMs', 'time for request'],
    ['firstByteMs', 'time to 1st byte'],
  ]) {
    match = new RegExp(`${label}:\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)`).exec(text);
    if (match) out[key] = toMs(match[3]);
  }
  return out;
}

/** p50/p90/p99 latency in ms of the status-200 rows of an h2load `--log-file`. */
export function readLatencies(logFile) {
  let text;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return null;
  }
  const durations = [];
  for (const line of text.split('\n')) {
    const [, status, micros] = line.split('\t');
    if (status === '200') durations.push(Number(micros) / 1000);
  }
  return {
    n: durations.length,
    p50: percentile(durations, 50),
    p90: percentile(durations, 90),
    p99: percentile(durations, 99),
  };
}
