/**
 * The slow-reader check: one server stream through a fresh grpctap to a client that reads at a
 * fixed rate far below what the backend can send. With back-pressure grpctap holds about a flow
 * window per side; if it buffered instead, its RSS would grow with the bytes the client has not
 * read yet. The growth reported is measured (peak VmHWM minus the RSS before the call), nothing
 * is extrapolated.
 */
import path from 'node:path';
import { resetPeak, snapshotProcess } from './proc-stats.mjs';
import { countRecords, waitUntilStill } from './record-file.mjs';
import { startGrpctap } from './targets.mjs';

const PROBE = path.join(import.meta.dirname, '..', 'probe.mjs');
const SAMPLE_MS = 250;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the check with `ctx.options.slowMiB` MiB in `ctx.options.slowMessageBytes` messages, read
 * over about `ctx.options.slowSeconds` seconds.
 */
export async function measureSlowReader(ctx) {
  const { slowMiB, slowSeconds, slowMessageBytes, slowLimitMiB } = ctx.options;
  const files = {
    tail: path.join(ctx.recordDir, 'grpctap-slow-stdout.ndjson'),
    record: path.join(ctx.recordDir, 'grpctap-slow-record.ndjson'),
  };
  const proxy = await startGrpctap(ctx, { label: 'grpctap (slow reader)', useTls: true, files });
  const pid = proxy.child.pid;
  const rate = Math.round((slowMiB * 1048576) / slowSeconds);
  try {
    await sleep(1000);
    const before = snapshotProcess(pid);
    const peakReset = resetPeak(pid);
    const samples = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const now = snapshotProcess(pid);
        if (now) samples.push({ seconds: (now.at - before.at) / 1000, rssMiB: now.rssMiB });
        await sleep(SAMPLE_MS);
      }
    })();
    const argv = [process.execPath, PROBE, 'slow-read', '--port', String(proxy.port)];
    argv.push('--mib', String(slowMiB), '--size', String(slowMessageBytes), '--rate', String(rate));
    argv.push('--timeout', String(slowSeconds * 3 + 30));
    const run = await ctx.group.run(argv, {
      cpus: ctx.clientCpus,
      timeoutMs: (slowSeconds * 3 + 60) * 1000,
    });
    sampling = false;
    await sampler;
    await waitUntilStill(files.record);
    const after = snapshotProcess(pid);
    let out;
    try {
      out = JSON.parse(run.stdout.trim().split('\n').pop());
    } catch {
      out = { ok: false, error: run.stderr.trim().slice(-200) || 'no output' };
    }
    const peakMiB = peakReset
      ? after.peakMiB
      : Math.max(after.rssMiB, ...samples.map((s) => s.rssMiB));
    const records = countRecords(files.record);
    const growthMiB = peakMiB - before.rssMiB;
    // Buffering grows with the bytes not yet read, so it shows as a climb after the start-up
    // allocations; back-pressure shows as a flat line.
    const fifth = samples.filter((s) => s.seconds <= (out.elapsedMs ?? 0) / 5000);
    const laterMax = Math.max(...samples.slice(fifth.length).map((s) => s.rssMiB));
    const driftMiB = fifth.length > 0 ? laterMax - fifth[fifth.length - 1].rssMiB : null;
    const result = {
      mib: slowMiB,
      messageBytes: slowMessageBytes,
      rateBytesPerSecond: rate,
      seconds: out.elapsedMs ? out.elapsedMs / 1000 : null,
      readMBps: out.readMBps ?? null,
      messages: out.messages ?? 0,
      baselineMiB: before.rssMiB,
      peakMiB,
      growthMiB,
      driftMiB,
      sampledMaxMiB: Math.max(...samples.map((s) => s.rssMiB)),
      proxyCpuSeconds: after.cpuSeconds - before.cpuSeconds,
      records,
      samples: samples.filter((_, i) => i % 4 === 0),
      withinLimit: growthMiB < slowLimitMiB,
      ok: out.ok === true && records.data === (out.messages ?? -1) + 1,
    };
    if (!result.ok) {
      result.note = out.ok
        ? `${records.data} data records for ${out.messages} messages`
        : out.error;
    }
    return result;
  } finally {
    await ctx.group.stop(proxy.child);
  }
}
