/** The harness's command line: defaults, `--quick`, and `--help`. */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TARGETS, TARGET_NAMES } from './targets.mjs';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

export const ALL_SCENARIOS = [
  'unary-c10m10',
  'unary-c1m1',
  'stream-16k',
  'stream-1m',
  'paced',
  'handshakes',
  'slow-reader',
];

export const USAGE = `usage: node bench/run.mjs [options]        (npm run bench -- [options])

  --quick                 smoke test, about a minute: 1 round, 2 s unary, 32 MiB streams,
                          10 handshakes, slow reader 64 MiB over 15 s
  --targets LIST          default ${DEFAULT_TARGETS.join(',')}
                          known: ${TARGET_NAMES.join(', ')}
  --scenarios LIST        default ${ALL_SCENARIOS.join(',')}
                          also unary-c<C>m<M> and stream-<N>k|m; slow-reader alone runs only that
  --rounds N              interleaved rounds, medians reported (default 3)
  --duration S            h2load -D seconds per unary measurement (default 4)
  --warmup S              h2load --warm-up-time seconds (default 1)
  --stream-mib N          MiB per streaming measurement (default 256)
  --stream-timeout S      per streaming measurement (default 60)
  --payload N             unary message bytes (default 100)
  --handshakes N          never-seen host names per TLS target (default 40)
  --slow-mib N            slow reader: MiB streamed (default 128)
  --slow-seconds S        slow reader: target duration, sets the read rate (default 60)
  --slow-message-bytes N  slow reader: message size (default 16384)
  --slow-limit-mib N      slow reader: allowed RSS growth (default 64)
  --grpctap FILE          grpctap entry point (default dist/src/cli/main.js; run npm run build)
  --compare FILE          also measure this grpctap build as target grpctap-b (A/B in one run)
  --node-flags=FLAGS      extra node flags for grpctap (space-separated; note the =)
  --cpu-prof DIR          run grpctap under node --cpu-prof, profiles written to DIR at exit
  --no-pin                do not pin; default: backend and clients on --client-cpus, proxies on
                          --proxy-cpus (taskset)
  --client-cpus LIST      default 0
  --proxy-cpus LIST       default 1
  --state-dir DIR         certificates, CA, logs (default $TMPDIR/grpctap-bench)
  --record-dir DIR        grpctap's stdout and --record files, emptied after every measurement
                          (default /dev/shm/grpctap-bench-PID when /dev/shm exists)
  --out DIR               where run-<time>.md and .json go (default <state-dir>/results)
  -h, --help`;

const SPEC = {
  quick: { type: 'boolean', default: false },
  targets: { type: 'string' },
  scenarios: { type: 'string' },
  rounds: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  'stream-mib': { type: 'string' },
  'stream-timeout': { type: 'string' },
  payload: { type: 'string' },
  handshakes: { type: 'string' },
  'slow-mib': { type: 'string' },
  'slow-seconds': { type: 'string' },
  'slow-message-bytes': { type: 'string' },
  'slow-limit-mib': { type: 'string' },
  grpctap: { type: 'string' },
  compare: { type: 'string' },
  'node-flags': { type: 'string' },
  'cpu-prof': { type: 'string' },
  'no-pin': { type: 'boolean', default: false },
  'client-cpus': { type: 'string', default: '0' },
  'proxy-cpus': { type: 'string', default: '1' },
  'state-dir': { type: 'string' },
  'record-dir': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
};

function toNumber(name, text, fallback) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`--${name} takes a number, got ${text}`);
  return value;
}

/** Parses argv; returns null after printing the usage for `--help`. */
export function parseOptions(argv) {
  const { values: v } = parseArgs({ args: argv, options: SPEC, strict: true });
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return null;
  }
  const quick = v.quick;
  const n = (name, full, short) => toNumber(name, v[name], quick ? short : full);
  const stateDir = path.resolve(v['state-dir'] ?? path.join(os.tmpdir(), 'grpctap-bench'));
  const shm = existsSync('/dev/shm') ? `/dev/shm/grpctap-bench-${process.pid}` : null;
  const targets = (v.targets ?? DEFAULT_TARGETS.join(',')).split(',').filter(Boolean);
  if (v.compare && !targets.includes('grpctap-b')) targets.push('grpctap-b');
  for (const target of targets) {
    if (!TARGET_NAMES.includes(target)) throw new Error(`unknown target ${target}`);
  }
  return {
    quick,
    targets,
    scenarios: (v.scenarios ?? ALL_SCENARIOS.join(',')).split(',').filter(Boolean),
    rounds: n('rounds', 3, 1),
    duration: n('duration', 4, 2),
    warmup: n('warmup', 1, 1),
    streamMiB: n('stream-mib', 256, 32),
    streamTimeout: n('stream-timeout', 60, 60),
    payload: n('payload', 100, 100),
    handshakes: n('handshakes', 40, 10),
    slowMiB: n('slow-mib', 128, 64),
    slowSeconds: n('slow-seconds', 60, 15),
    slowMessageBytes: n('slow-message-bytes', 16384, 16384),
    slowLimitMiB: n('slow-limit-mib', 64, 64),
    grpctapMain: path.resolve(v.grpctap ?? path.join(REPO_ROOT, 'dist/src/cli/main.js')),
    compareMain: v.compare ? path.resolve(v.compare) : null,
    nodeFlags: (v['node-flags'] ?? '').split(/\s+/).filter(Boolean),
    cpuProfDir: v['cpu-prof'] ? path.resolve(v['cpu-prof']) : null,
    pin: !v['no-pin'] && os.availableParallelism() >= 2,
    clientCpus: v['client-cpus'],
    proxyCpus: v['proxy-cpus'],
    stateDir,
    recordDir: path.resolve(v['record-dir'] ?? shm ?? path.join(stateDir, 'records')),
    outDir: path.resolve(v.out ?? path.join(stateDir, 'results')),
  };
}
