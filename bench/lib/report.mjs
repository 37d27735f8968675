/**
 * Turns a run's raw measurements into medians, ratios to the baseline, the goal verdicts and the
 * Markdown report.
 */
import { maximum, median, spreadPercent } from './stats.mjs';

/** Medians over rounds for every (scenario, target) pair; peaks are maxima. */
export function aggregate(results, targets) {
  const rows = new Map();
  for (const result of results) {
    const key = `${result.scenario}/${result.target}`;
    if (!rows.has(key)) rows.set(key, []);
    rows.get(key).push(result);
  }
  const out = new Map();
  for (const [key, all] of rows) {
    // A measurement during which the proxy died says nothing about its speed: it only fails the
    // row. A row whose every measurement crashed keeps them, so it still shows up.
    const valid = all.filter((r) => !r.crashed);
    const runs = valid.length > 0 ? valid : all;
    const pick = (field) => median(runs.map((r) => r[field]));
    const first = runs[0];
    const throughput = runs.map((r) => r.requestsPerSecond ?? r.megabytesPerSecond);
    out.set(key, {
      scenario: first.scenario,
      kind: first.kind,
      target: first.target,
      rounds: runs.length,
      ok: all.every((r) => r.ok),
      notes: [...new Set(all.filter((r) => !r.ok).map((r) => r.note))].join('; '),
      requestsPerSecond: pick('requestsPerSecond'),
      p50: pick('p50'),
      p99: pick('p99'),
      megabytesPerSecond: pick('megabytesPerSecond'),
      firstByteMs: pick('firstByteMs'),
      firstMessageMs: pick('firstMessageMs'),
      proxyCpuPercent: pick('proxyCpuPercent'),
      proxyMicrosPerCall: pick('proxyMicrosPerCall'),
      proxySecondsPerGB: pick('proxySecondsPerGB'),
      proxyPeakMiB: maximum(runs.map((r) => r.proxyPeakMiB)),
      backendCpuPercent: pick('backendCpuPercent'),
      spread: spreadPercent(throughput),
    });
  }
  for (const row of out.values()) {
    const baseline = targets.find((t) => t.name === row.target)?.baseline;
    const base = baseline ? out.get(`${row.scenario}/${baseline}`) : null;
    if (!base) continue;
    if (row.kind === 'unary') {
      row.ratio = ratio(row.requestsPerSecond, base.requestsPerSecond);
      row.addedP50 = difference(row.p50, base.p50);
    } else if (row.kind === 'stream') {
      row.ratio = ratio(row.megabytesPerSecond, base.megabytesPerSecond);
    } else if (row.kind === 'paced') {
      row.addedFirstMessageMs = difference(row.firstMessageMs, base.firstMessageMs);
    }
  }
  return out;
}

function ratio(a, b) {
  return a !== null && b ? a / b : null;
}

function difference(a, b) {
  return a !== null && b !== null ? a - b : null;
}

/** Formats a number with `digits` decimals (thousands separated from 10,000), or `—`. */
export function format(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (Math.abs(value) >= 10_000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

const times = (value) => (value === null || value === undefined ? '—' : `${value.toFixed(2)}×`);
const signed = (value, digits) =>
  value === null ? '—' : `${value >= 0 ? '+' : ''}${format(value, digits)}`;
const percent = (value) => (value === null ? '—' : `${format(value, 0)}%`);

function table(headers, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

function status(row) {
  return row.ok ? 'ok' : `FAIL: ${row.notes}`;
}

/** The unary, streaming and paced tables (Markdown). */
export function formatTables(aggregated, scenarios, targets) {
  const rows = (kind) =>
    scenarios.flatMap((scenario) =>
      targets
        .map((target) => aggregated.get(`${scenario}/${target.name}`))
        .filter((row) => row?.kind === kind),
    );
  const unary = table(
    ['scenario', 'target', 'req/s', 'vs direct', 'p50 ms', 'added p50 ms', 'p99 ms'].concat([
      'proxy CPU',
      'proxy CPU/call',
      'proxy peak RSS MiB',
      'backend CPU',
      'spread',
      'checks',
    ]),
    rows('unary').map((r) => [
      r.scenario,
      r.target,
      format(r.requestsPerSecond, 0),
      r.ratio === undefined ? 'base' : times(r.ratio),
      format(r.p50, 2),
      r.addedP50 === undefined ? 'base' : signed(r.addedP50, 2),
      format(r.p99, 2),
      percent(r.proxyCpuPercent),
      r.proxyMicrosPerCall === null ? '—' : `${format(r.proxyMicrosPerCall, 0)} µs`,
      format(r.proxyPeakMiB, 0),
      percent(r.backendCpuPercent),
      percent(r.spread),
      status(r),
    ]),
  );
  const stream = table(
    [
      'scenario',
      'target',
      'MB/s',
      'vs direct',
      'first byte ms',
      'proxy CPU',
      'proxy CPU/GB',
    ].concat(['proxy peak RSS MiB', 'backend CPU', 'spread', 'checks']),
    rows('stream').map((r) => [
      r.scenario,
      r.target,
      format(r.megabytesPerSecond, 0),
      r.ratio === undefined ? 'base' : times(r.ratio),
      format(r.firstByteMs, 1),
      percent(r.proxyCpuPercent),
      r.proxySecondsPerGB === null ? '—' : `${format(r.proxySecondsPerGB, 2)} s`,
      format(r.proxyPeakMiB, 0),
      percent(r.backendCpuPercent),
      percent(r.spread),
      status(r),
    ]),
  );
  const paced = rows('paced').map((r) => [
    r.target,
    format(r.firstMessageMs, 1),
    r.addedFirstMessageMs === undefined ? 'base' : signed(r.addedFirstMessageMs, 1),
    format(r.proxyPeakMiB, 0),
    status(r),
  ]);
  return {
    unary,
    stream,
    paced: table(
      ['target', 'first message ms', 'vs direct ms', 'proxy peak RSS MiB', 'checks'],
      paced,
    ),
  };
}

/** The handshake table: p50 of first contact, repeat and same name, per TLS target. */
export function formatHandshakes(handshakes) {
  const rows = Object.entries(handshakes).map(([name, h]) => [
    name,
    format(h.first?.p50, 2),
    format(h.first?.p90, 2),
    format(h.repeat?.p50, 2),
    format(h.same?.p50, 2),
    format(h.mintMs, 2),
    h.ok ? 'ok' : `FAIL: ${h.error}`,
  ]);
  return table(
    ['target', 'new host p50 ms', 'new host p90 ms', 'repeat p50 ms', 'one name p50 ms'].concat([
      'minting adds ms',
      'checks',
    ]),
    rows,
  );
}

/**
 * The goals of grpctap's performance issue, each with the measured value and a verdict.
 * Returns rows `[goal, measured, verdict]`; a goal whose scenario was not run says so.
 */
export function evaluateGoals({ aggregated, handshakes, slowReader, peakMiB }) {
  const get = (scenario) => aggregated.get(`${scenario}/grpctap`);
  const goals = [];
  const add = (goal, value, shown, pass) =>
    goals.push([
      goal,
      value === null || value === undefined ? 'not run' : shown,
      verdict(value, pass),
    ]);
  const c10 = get('unary-c10m10');
  add('unary c10m10 ≥ 0.5× direct', c10?.ratio, times(c10?.ratio ?? null), (v) => v >= 0.5);
  add(
    'proxy CPU ≤ 90 µs per call (c10m10)',
    c10?.proxyMicrosPerCall,
    `${format(c10?.proxyMicrosPerCall, 0)} µs`,
    (v) => v <= 90,
  );
  const c1 = get('unary-c1m1');
  add(
    'unary c1m1 added p50 ≤ 0.3 ms',
    c1?.addedP50,
    `${signed(c1?.addedP50 ?? null, 2)} ms`,
    (v) => v <= 0.3,
  );
  for (const scenario of ['stream-16k', 'stream-1m']) {
    const row = get(scenario);
    add(`${scenario} ≥ 0.6× direct`, row?.ratio, times(row?.ratio ?? null), (v) => v >= 0.6);
  }
  const paced = get('paced');
  add(
    'paced first message ≤ direct + 5 ms',
    paced?.addedFirstMessageMs,
    `${signed(paced?.addedFirstMessageMs ?? null, 1)} ms`,
    (v) => v <= 5,
  );
  const hs = handshakes.grpctap?.first?.p50;
  add('new-host handshake p50 ≤ 3 ms (minting included)', hs, `${format(hs, 2)} ms`, (v) => v <= 3);
  add(
    'peak RSS ≤ 120 MiB in every scenario',
    peakMiB,
    `${format(peakMiB, 0)} MiB`,
    (v) => v <= 120,
  );
  const growth = slowReader?.growthMiB;
  add('slow reader: RSS growth < 64 MiB', growth, `${format(growth, 1)} MiB`, (v) => v < 64);
  return goals;
}

function verdict(value, pass) {
  if (value === null || value === undefined) return '—';
  return pass(value) ? 'met' : '**missed**';
}

export function formatGoals(goals) {
  return table(['goal (grpctap)', 'measured', 'verdict'], goals);
}

export function formatSlowReader(slow) {
  if (!slow) return '';
  return table(
    [
      'streamed',
      'message',
      'read rate',
      'took s',
      'RSS before MiB',
      'peak RSS MiB',
      'growth MiB',
    ].concat(['climb after first fifth MiB', 'grpctap CPU s', 'checks']),
    [
      [
        `${slow.mib} MiB`,
        `${slow.messageBytes} B`,
        `${format(slow.rateBytesPerSecond / 1048576, 2)} MiB/s`,
        format(slow.seconds, 1),
        format(slow.baselineMiB, 1),
        format(slow.peakMiB, 1),
        format(slow.growthMiB, 1),
        format(slow.driftMiB, 1),
        format(slow.proxyCpuSeconds, 2),
        slow.ok ? 'ok' : `FAIL: ${slow.note}`,
      ],
    ],
  );
}
