/** The run's Markdown report: the machine, the goals, every table, crashes and the targets. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './options.mjs';
import { readVersion } from './prerequisites.mjs';
import {
  aggregate,
  evaluateGoals,
  format,
  formatGoals,
  formatHandshakes,
  formatSlowReader,
  formatTables,
} from './report.mjs';
import { maximum } from './stats.mjs';

/** Date, CPUs, memory, kernel and tool versions (only of the tools the run uses). */
export function describeMachine(options) {
  const gitRevision = (() => {
    try {
      const head = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      const dirty = execFileSync('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      return dirty ? `${head} + uncommitted src changes` : head;
    } catch {
      return 'n/a';
    }
  })();
  const packageJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'n/a',
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: os.release(),
    node: process.version,
    grpctap: `${packageJson.version} (${gitRevision})`,
    h2load: readVersion('h2load', ['--version']),
    nghttpx: options.targets.some((t) => t.startsWith('nghttpx'))
      ? readVersion('nghttpx', ['--version'])
      : null,
    mitmproxy: options.targets.includes('mitmproxy')
      ? readVersion('mitmdump', ['--version'])
      : null,
    pinning: options.pin
      ? `backend and clients on CPU ${options.clientCpus}, proxies on CPU ${options.proxyCpus}`
      : 'none',
  };
}

/** The Markdown of a finished run, with the aggregated rows and goal verdicts. */
export function formatRunReport(run) {
  const { env, options, targets, scenarios, results, handshakes, slowReader, checks, crashes } =
    run;
  const aggregated = aggregate(results, targets);
  const tables = formatTables(
    aggregated,
    scenarios.map((s) => s.name),
    targets,
  );
  const grpctapPeaks = results
    .filter((r) => r.target === 'grpctap' && !r.crashed)
    .map((r) => r.proxyPeakMiB);
  grpctapPeaks.push(handshakes.grpctap?.proxyPeakMiB);
  const peakMiB = maximum(grpctapPeaks);
  const goals = evaluateGoals({ aggregated, handshakes, slowReader, peakMiB });
  const command = `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const lines = [
    `# grpctap benchmark run, ${env.date}`,
    '',
    `- Machine: ${env.cpus} × ${env.cpuModel}, ${env.memoryGiB} GiB, Linux ${env.kernel}`,
    `- Software: Node ${env.node}; grpctap ${env.grpctap}; ${env.h2load}` +
      `${env.nghttpx ? `; ${env.nghttpx}` : ''}${env.mitmproxy ? `; mitmproxy ${env.mitmproxy}` : ''}`,
    `- Pinning: ${env.pinning}`,
    `- Command: \`${command}\``,
    `- ${options.rounds} round(s), medians; unary h2load -D ${options.duration} s after ` +
      `${options.warmup} s warm-up, ${options.payload} B messages; streams ${options.streamMiB} MiB ` +
      'as one server-streaming call',
    '',
    '## Goals',
    '',
    formatGoals(goals),
    '',
  ];
  if (results.some((r) => r.kind === 'unary')) lines.push('## Unary', '', tables.unary, '');
  if (results.some((r) => r.kind === 'stream')) lines.push('## Streaming', '', tables.stream, '');
  if (results.some((r) => r.kind === 'paced')) {
    lines.push('## Paced stream (5 messages, 100 ms apart)', '', tables.paced, '');
  }
  if (Object.keys(handshakes).length > 0) {
    lines.push(`## TLS handshakes (${options.handshakes} never-seen host names)`, '');
    lines.push(formatHandshakes(handshakes), '');
  }
  if (slowReader) lines.push('## Slow reader (grpctap)', '', formatSlowReader(slowReader), '');
  lines.push('## gRPC checks before and after the load', '');
  for (const [name, check] of Object.entries(checks)) {
    lines.push(
      `- ${name}: ${check.before.ok ? 'ok' : `FAIL (${check.before.error})`} / ` +
        `${check.after ? (check.after.ok ? 'ok' : `FAIL (${check.after.error})`) : 'not run'}`,
    );
  }
  if (crashes.length > 0) {
    lines.push('', '## Crashes', '');
    for (const crash of crashes) {
      lines.push(`- ${crash.target} exited during ${crash.scenario} (round ${crash.round}):`);
      lines.push('', '```text', crash.stderr, '```', '');
    }
  }
  lines.push('', '## Targets', '');
  for (const target of targets) {
    const idle = target.idleMiB ? ` (RSS after start-up: ${format(target.idleMiB, 0)} MiB)` : '';
    lines.push(`- **${target.name}**: ${target.description}${idle}`);
    if (target.argv) lines.push(`  \`${target.argv.join(' ')}\``);
  }
  return { markdown: `${lines.join('\n')}\n`, aggregated, goals, peakMiB };
}
