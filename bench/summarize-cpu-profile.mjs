#!/usr/bin/env node
/**
 * Summarizes V8 `.cpuprofile` files (from `node --cpu-prof`): self time per function and source
 * location, and per file, largest first. Several profiles are added together.
 *
 * Self time comes from the samples: each sample is charged to the node on top of the stack, for
 * the interval until the next sample (`timeDeltas`).
 *
 * Usage: node bench/summarize-cpu-profile.mjs [--top N] [--json] FILE.cpuprofile|DIR ...
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

// Piped into `head`, stdout closes early: that ends the output, it is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, json: { type: 'boolean', default: false } },
});

function listProfiles(inputs) {
  return inputs.flatMap((input) =>
    statSync(input).isDirectory()
      ? readdirSync(input)
          .filter((name) => name.endsWith('.cpuprofile'))
          .map((name) => path.join(input, name))
      : [input],
  );
}

/** Shortens a URL to something readable: project files relative to `src/`, Node internals as is. */
function shortenUrl(url) {
  if (url === '') return '(native)';
  const src = url.indexOf('/src/');
  if (url.startsWith('file://') && src !== -1) return url.slice(src + 1);
  if (url.startsWith('file://')) return path.basename(url);
  return url;
}

/**
 * Adds one profile's self time (µs) into `byFrame` and `byFile`; returns the busy time, which
 * leaves out `(idle)` (the event loop waiting) so percentages are shares of CPU actually used.
 */
function addProfile(profile, byFrame, byFile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the time after it is timeDeltas[i + 1].
    const delta = timeDeltas[i + 1] ?? 0;
    selfMicros.set(samples[i], (selfMicros.get(samples[i]) ?? 0) + Math.max(0, delta));
  }
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfMicros) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    total += micros;
    const url = shortenUrl(frame.url);
    const name = frame.functionName || '(anonymous)';
    const key = frame.url ? `${name} ${url}:${frame.lineNumber + 1}` : name;
    byFrame.set(key, (byFrame.get(key) ?? 0) + micros);
    const file = frame.url ? url : name;
    byFile.set(file, (byFile.get(file) ?? 0) + micros);
  }
  return { busy: total, idle };
}

function rank(map, total, top) {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, micros]) => ({ key, ms: micros / 1000, percent: (100 * micros) / total }));
}

const files = listProfiles(positionals);
if (files.length === 0) {
  process.stderr.write('usage: node summarize-cpu-profile.mjs [--top N] [--json] FILE|DIR ...\n');
  process.exit(2);
}
const byFrame = new Map();
const byFile = new Map();
let total = 0;
let idleMicros = 0;
for (const file of files) {
  const { busy, idle } = addProfile(JSON.parse(readFileSync(file, 'utf8')), byFrame, byFile);
  total += busy;
  idleMicros += idle;
}
const top = Number(values.top);
const summary = {
  profiles: files.length,
  busyMs: total / 1000,
  idleMs: idleMicros / 1000,
  frames: rank(byFrame, total, top),
  files: rank(byFile, total, top),
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(summary, null, 1)}\n`);
} else {
  const line = (row) =>
    `${row.percent.toFixed(1).padStart(5)}% ${row.ms.toFixed(0).padStart(7)} ms  ${row.key}`;
  process.stdout.write(
    `${files.length} profile(s): ${summary.busyMs.toFixed(0)} ms busy (100%), ` +
      `${summary.idleMs.toFixed(0)} ms idle (left out)\n\n`,
  );
  process.stdout.write(`self time by function\n${summary.frames.map(line).join('\n')}\n\n`);
  process.stdout.write(`self time by file\n${summary.files.map(line).join('\n')}\n`);
}
