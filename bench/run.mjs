#!/usr/bin/env node
/**
 * grpctap's benchmark: a gRPC backend, grpctap in reverse mode and its peers (nghttpx, the
 * non-inspecting C proxy; mitmproxy, the inspecting one), measured in one run. Rounds take turns
 * between the targets so machine noise hits them all alike; tables show medians over rounds and
 * ratios to going direct. The backend and every client share one CPU, each proxy gets the other.
 *
 * See docs/performance.md for the method, the columns and the latest numbers; `--help` for flags.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { measure, parseScenario } from './lib/measure.mjs';
import { parseOptions } from './lib/options.mjs';
import { ensureBackendCertificate, ensureCommands } from './lib/prerequisites.mjs';
import { resetPeak, snapshotProcess } from './lib/proc-stats.mjs';
import { createProcessGroup } from './lib/processes.mjs';
import { countOutputs, resetOutputs, settleOutputs } from './lib/record-file.mjs';
import { format } from './lib/report.mjs';
import { describeMachine, formatRunReport } from './lib/run-report.mjs';
import { measureSlowReader } from './lib/slow-reader.mjs';
import { commandsFor, startTarget } from './lib/targets.mjs';

const PROBE = path.join(import.meta.dirname, 'probe.mjs');
const started = performance.now();
const log = (line) =>
  process.stderr.write(
    `[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`,
  );

function parseLastJson(text) {
  try {
    return JSON.parse(text.trim().split('\n').pop());
  } catch {
    return null;
  }
}

async function startBackend(group, options, certificate) {
  const argv = [process.execPath, path.join(import.meta.dirname, 'backend.mjs')];
  argv.push('--cert', certificate.cert, '--key', certificate.key);
  const child = group.start('backend', argv, {
    cpus: options.clientCpus,
    stdout: 'pipe',
    ipc: true,
  });
  const lines = createInterface({ input: child.stdout });
  const [first] = await Promise.race([
    new Promise((resolve) => lines.once('line', (line) => resolve([line]))),
    new Promise((_, reject) =>
      child.once('exit', () => reject(new Error(`backend exited: ${child.stderrTail}`))),
    ),
  ]);
  lines.close();
  const ready = JSON.parse(first);
  return { child, tls: ready.tls, h2c: ready.h2c };
}

/** gRPC checks through a target; for grpctap also that its record file saw every call. */
async function checkTarget(ctx, target) {
  const argv = [process.execPath, PROBE, 'check', '--port', String(target.port)];
  if (!target.tls) argv.push('--h2c');
  const run = await ctx.group.run(argv, { cpus: ctx.clientCpus, timeoutMs: 60_000 });
  const out = parseLastJson(run.stdout) ?? { ok: false, error: run.stderr.trim().slice(-300) };
  if (out.ok && target.files) {
    await settleOutputs(target.files);
    const records = countOutputs(target.files);
    resetOutputs(target.files);
    // Six calls: 3 unary, 2 bulk streams, 1 paced; one data record per message either way.
    if (records.flows !== out.calls || records.okEnds !== out.calls) {
      return { ok: false, error: `record file: ${records.flows} flows for ${out.calls} calls` };
    }
    if (records.data !== out.messages + out.calls) {
      return { ok: false, error: `record file: ${records.data} data records` };
    }
  }
  return { ok: out.ok, error: out.error ?? null };
}

async function measureHandshakes(ctx, target) {
  const pid = target.child?.pid;
  const reset = pid ? resetPeak(pid) : false;
  const argv = [process.execPath, PROBE, 'handshakes', '--port', String(target.port)];
  argv.push('--count', String(ctx.options.handshakes));
  const run = await ctx.group.run(argv, { cpus: ctx.clientCpus, timeoutMs: 180_000 });
  const out = parseLastJson(run.stdout) ?? { ok: false, error: run.stderr.trim().slice(-300) };
  const after = snapshotProcess(pid);
  if (after) out.proxyPeakMiB = reset ? after.peakMiB : after.rssMiB;
  if (target.files) resetOutputs(target.files);
  return out;
}

function describeResult(result) {
  const parts = [];
  if (result.kind === 'unary') {
    parts.push(`${format(result.requestsPerSecond, 0)} req/s, p50 ${format(result.p50, 2)} ms`);
    if (result.proxyMicrosPerCall) parts.push(`${format(result.proxyMicrosPerCall, 0)} µs/call`);
  } else if (result.kind === 'stream') {
    parts.push(`${format(result.megabytesPerSecond, 0)} MB/s`);
  } else {
    parts.push(`first message ${format(result.firstMessageMs, 1)} ms`);
  }
  if (result.proxyCpuPercent !== undefined) {
    parts.push(
      `proxy ${format(result.proxyCpuPercent, 0)}% CPU, ${format(result.proxyPeakMiB, 0)} MiB`,
    );
  }
  parts.push(`backend ${format(result.backendCpuPercent, 0)}% CPU`);
  if (!result.ok) parts.push(`NOT OK: ${result.note}`);
  return parts.join(' | ');
}

/**
 * A proxy that exited during a measurement is a finding: the measurement fails, the crash and
 * the end of its stderr go into the report, and a fresh process takes its place for the rest.
 */
async function restartDeadTarget(ctx, target, result) {
  const stderr = target.child.stderrTail.trim().split('\n').slice(-12).join('\n');
  ctx.crashes.push({ target: target.name, scenario: result.scenario, round: result.round, stderr });
  result.ok = false;
  result.crashed = true;
  result.note = `${result.note ?? ''} ${target.name} exited (${target.child.exitCode})`.trim();
  log(`${target.name} EXITED during ${result.scenario}; restarting it. stderr:\n${stderr}`);
  Object.assign(target, await startTarget(target.name, ctx));
}

async function runLoad(ctx, targets, scenarios) {
  const results = [];
  for (let round = 1; round <= ctx.options.rounds; round++) {
    for (const scenario of scenarios) {
      // Rotate the order each round so no target is always measured first (or last).
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]);
      for (const target of order) {
        const result = await measure(ctx, target, scenario);
        Object.assign(result, { round, target: target.name, scenario: scenario.name });
        result.kind = scenario.kind;
        results.push(result);
        log(
          `r${round} ${scenario.name.padEnd(12)} ${target.name.padEnd(11)} ${describeResult(result)}`,
        );
        if (target.child && target.child.exitCode !== null)
          await restartDeadTarget(ctx, target, result);
      }
    }
  }
  return results;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options === null) return 0;
  const scenarioNames = options.scenarios;
  const scenarios = scenarioNames.map(parseScenario).filter(Boolean);
  const wantHandshakes = scenarioNames.includes('handshakes');
  const wantSlowReader = scenarioNames.includes('slow-reader');
  const unknown = scenarioNames.filter(
    (n) => !parseScenario(n) && n !== 'handshakes' && n !== 'slow-reader',
  );
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}`);
  const needsTargets = scenarios.length > 0 || wantHandshakes;
  const targetNames = needsTargets ? [...options.targets] : [];
  for (const name of [...targetNames]) {
    const baseline = name.endsWith('-h2c') ? 'direct-h2c' : 'direct';
    if (name !== baseline && !targetNames.includes(baseline)) targetNames.unshift(baseline);
  }
  const usesGrpctap = targetNames.some((n) => n.startsWith('grpctap')) || wantSlowReader;
  if (usesGrpctap && !existsSync(options.grpctapMain)) {
    throw new Error(`${options.grpctapMain} does not exist: run npm run build (or pass --grpctap)`);
  }
  for (const dir of [options.stateDir, options.recordDir, options.outDir]) {
    mkdirSync(dir, { recursive: true });
  }
  ensureCommands(commandsFor(targetNames), log);
  const certificate = ensureBackendCertificate(options.stateDir);
  const env = describeMachine({ ...options, targets: targetNames });
  const group = createProcessGroup({ pin: options.pin });
  const stopEverything = async () => {
    await group.stopAll();
    rmSync(options.recordDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      stopEverything().finally(() => process.exit(130));
    });
  }

  try {
    const backend = await startBackend(group, options, certificate);
    const ctx = {
      options,
      group,
      backend,
      ...certificate,
      stateDir: options.stateDir,
      recordDir: options.recordDir,
      grpctapMain: options.grpctapMain,
      compareMain: options.compareMain,
      nodeFlags: [
        ...options.nodeFlags,
        ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
      ],
      clientCpus: options.clientCpus,
      proxyCpus: options.proxyCpus,
      crashes: [],
    };
    const targets = [];
    for (const name of targetNames) targets.push(await startTarget(name, ctx));
    log(
      `backend pid ${backend.child.pid}; ${targets.map((t) => `${t.name} :${t.port}`).join(', ')}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const target of targets)
      target.idleMiB = snapshotProcess(target.child?.pid)?.rssMiB ?? null;

    const checks = {};
    for (const target of targets) {
      checks[target.name] = { before: await checkTarget(ctx, target) };
      const check = checks[target.name].before;
      log(`check ${target.name}: ${check.ok ? 'ok' : `FAIL ${check.error}`}`);
    }
    const results = await runLoad(ctx, targets, scenarios);
    const handshakes = {};
    if (wantHandshakes) {
      for (const target of targets.filter((t) => t.tls)) {
        handshakes[target.name] = await measureHandshakes(ctx, target);
        const h = handshakes[target.name];
        log(
          `handshakes ${target.name}: new ${format(h.first?.p50, 2)} ms, repeat ` +
            `${format(h.repeat?.p50, 2)} ms${h.ok ? '' : ` (${h.error})`}`,
        );
      }
    }
    for (const target of targets) {
      checks[target.name].after = await checkTarget(ctx, target);
      if (target.child) await group.stop(target.child);
    }
    let slowReader = null;
    if (wantSlowReader) {
      log(
        `slow reader: ${options.slowMiB} MiB over ~${options.slowSeconds} s through a fresh grpctap`,
      );
      slowReader = await measureSlowReader(ctx);
      log(
        `slow reader: RSS ${format(slowReader.baselineMiB, 1)} → ${format(slowReader.peakMiB, 1)} MiB ` +
          `(growth ${format(slowReader.growthMiB, 1)} MiB)${slowReader.ok ? '' : ` NOT OK: ${slowReader.note}`}`,
      );
    }
    const report = formatRunReport({
      env,
      options,
      targets,
      scenarios,
      results,
      handshakes,
      slowReader,
      checks,
      crashes: ctx.crashes,
    });
    const stamp = env.date.replace(/[:]/g, '').replace(/\..*/, '');
    const base = path.join(options.outDir, `run-${stamp}`);
    writeFileSync(`${base}.md`, report.markdown);
    const json = {
      env,
      options,
      results,
      handshakes,
      slowReader,
      checks,
      crashes: ctx.crashes,
      goals: report.goals,
    };
    writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 1)}\n`);
    process.stdout.write(report.markdown);
    log(
      `wrote ${base}.md and ${base}.json in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    const failed =
      ctx.crashes.length > 0 ||
      Object.values(checks).some((c) => !c.before.ok || !c.after?.ok) ||
      results.some((r) => !r.ok) ||
      (slowReader && !slowReader.ok);
    return failed ? 1 : 0;
  } finally {
    await stopEverything();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(`error: ${error.stack ?? error}`);
    process.exit(1);
  },
);
