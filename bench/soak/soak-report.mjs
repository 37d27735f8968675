/**
 * Reading the soak's results: the proxy's record file tallied per call, compared with the client's
 * ledger, and the RSS samples reduced to a trend.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CALL_HEADER } from './soak-traffic.mjs';

/** VmRSS of a process in MiB, or null once it is gone. */
export function readRssMiB(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Per call id: data records each way and how the flow ended, read line by line (the file can be
 * hundreds of MiB). Records whose flow has no `x-soak-call` (none are expected) are counted apart.
 */
export async function tallyRecords(path) {
  const flows = new Map();
  const byCall = new Map();
  let lines = 0;
  let untagged = 0;
  const lineReader = createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lineReader) {
    if (line.length === 0) continue;
    lines += 1;
    const record = JSON.parse(line);
    if (record.protocol !== 'grpc') continue;
    let flow = flows.get(record.flowId);
    if (!flow) {
      flow = { send: 0, receive: 0, status: undefined, error: undefined, finished: false };
      flows.set(record.flowId, flow);
    }
    if (record.event === 'start' && record.direction === 'send') {
      const pair = record.metadata.find(([name]) => name === CALL_HEADER);
      if (pair) byCall.set(pair[1], flow);
      else untagged += 1;
    } else if (record.event === 'data') flow[record.direction] += 1;
    else if (record.event === 'end') {
      flow.status = record.status;
      flow.error = record.error?.code ?? null;
    } else if (record.event === 'flow') flow.finished = true;
  }
  return { lines, flows: flows.size, byCall, untagged };
}

/**
 * Compares the ledger with the records. For calls that ended OK the counts must be equal both
 * ways; for the others every message the client received must be recorded, and the flow must
 * have ended (a client may send what the server never reads, or cancel with messages in flight).
 */
export function compareLedger(ledger, tally) {
  const result = {
    calls: ledger.size,
    ok: 0,
    okMatched: 0,
    otherEnded: 0,
    missing: [],
    mismatched: [],
  };
  for (const entry of ledger.values()) {
    const flow = tally.byCall.get(entry.id);
    if (!flow?.finished) {
      result.missing.push(entry.id);
      continue;
    }
    if (entry.code === 0) {
      result.ok += 1;
      if (flow.send === entry.sent && flow.receive === entry.received && flow.status === 0) {
        result.okMatched += 1;
      } else result.mismatched.push({ ...entry, recorded: flow });
    } else if (flow.receive >= entry.received) result.otherEnded += 1;
    else result.mismatched.push({ ...entry, recorded: flow });
  }
  return result;
}

/** Least-squares slope of `values` against `times` (per unit of `times`). */
export function slope(times, values) {
  const n = times.length;
  if (n < 2) return 0;
  const meanT = times.reduce((a, b) => a + b, 0) / n;
  const meanV = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (times[i] - meanT) * (values[i] - meanV);
    den += (times[i] - meanT) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
