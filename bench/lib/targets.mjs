/**
 * The targets a run measures. A target is what the client connects to: the backend itself
 * (`direct`, the baseline) or a proxy in front of it. Every proxy is a reverse proxy listening on
 * 127.0.0.1 and is pinned to the proxy CPU.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { findFreePort, waitForPort, waitForStderr } from './processes.mjs';

/** Target names in table order; `*-h2c` ones speak cleartext to the client and the backend. */
export const TARGET_NAMES = [
  'direct',
  'grpctap',
  'nghttpx',
  'mitmproxy',
  'direct-h2c',
  'grpctap-h2c',
  'nghttpx-h2c',
  'grpctap-b',
  'grpctap-store',
];
export const DEFAULT_TARGETS = ['direct', 'grpctap', 'nghttpx', 'mitmproxy'];

/** What each target is, for the report. */
export const TARGET_DESCRIPTIONS = {
  direct: 'client → backend, TLS (ALPN h2)',
  grpctap:
    'grpctap --reverse, TLS → TLS, gRPC layer on, `--output json` to a file and `--record FILE`',
  nghttpx: 'nghttpx reverse proxy, TLS → TLS, non-inspecting (C, nghttp2), 1 worker, 1 MiB windows',
  mitmproxy:
    'mitmdump --mode reverse, TLS → TLS, `connection_strategy=lazy`, `stream_large_bodies=1m`',
  'direct-h2c': 'client → backend, h2c prior knowledge',
  'grpctap-h2c': 'grpctap --reverse, h2c → h2c, same outputs as grpctap',
  'nghttpx-h2c': 'nghttpx, h2c → h2c',
  'grpctap-b': 'as grpctap, but the build given with `--compare` (A/B in one run)',
  'grpctap-store':
    'grpctap --reverse, TLS → TLS, the default outputs: the flow store (SQLite) and the text tail to a file; no NDJSON',
};

/** Commands each target needs on PATH. */
export function commandsFor(names) {
  const needed = new Set(['h2load', 'taskset', 'openssl']);
  for (const name of names) {
    if (name.startsWith('nghttpx')) needed.add('nghttpx');
    if (name === 'mitmproxy') needed.add('mitmdump');
  }
  return [...needed];
}

/** The baseline a target is compared with. */
export function baselineOf(name) {
  if (name === 'direct' || name === 'direct-h2c') return null;
  return name.endsWith('-h2c') ? 'direct-h2c' : 'direct';
}

/**
 * nghttpx's default backend stream window (64 KiB) caps one stream far below the backend's rate;
 * 1 MiB matches grpctap's stream window, so both are compared with the same burst size.
 */
function nghttpxArgs(port, backendPort, useTls, ctx) {
  const window = (1 << 20) - 1;
  return [
    'nghttpx',
    '--conf=/dev/null',
    '--workers=1',
    '--no-ocsp',
    '--no-via',
    '-k',
    `--backend-http2-window-size=${window}`,
    '--backend-http2-connection-window-size=2147483647',
    `--frontend-http2-window-size=${window}`,
    '--frontend-http2-connection-window-size=16777215',
    `--errorlog-file=${logFile(ctx, useTls ? 'nghttpx-errors' : 'nghttpx-h2c-errors')}`,
    useTls ? `-f127.0.0.1,${port}` : `-f127.0.0.1,${port};no-tls`,
    useTls
      ? `-b127.0.0.1,${backendPort};;proto=h2;tls;sni=bench.local`
      : `-b127.0.0.1,${backendPort};;proto=h2`,
    ...(useTls ? [ctx.key, ctx.cert] : []),
  ];
}

/** Where a target's stderr is kept: `<state-dir>/logs/<label>.log`, replaced every run. */
function logFile(ctx, label) {
  const dir = path.join(ctx.stateDir, 'logs');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${label.replace(/[^\w.-]+/g, '-').replace(/-$/, '')}.log`);
}

/**
 * The environment and node flags an entry point's `#!/usr/bin/env -S [NAME=VALUE ...] node FLAGS`
 * line asks for, so the harness starts grpctap as the installed `grpctap` command does.
 */
function readShebang(main) {
  const firstLine = readFileSync(main, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S\s+(.*)$/.exec(firstLine);
  const words = match ? match[1].trim().split(/\s+/) : [];
  const env = {};
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift().split('=');
    env[name] = value.join('=');
  }
  return { env, flags: words[0] === 'node' ? words.slice(1) : [] };
}

/**
 * grpctap as users run it: JSON records on stdout (redirected to a file) and `--record FILE`,
 * under the node flags of the entry point's shebang. `ctx.nodeFlags` adds flags for node (e.g.
 * `--cpu-prof`).
 */
export async function startGrpctap(ctx, { label, useTls, files, main = ctx.grpctapMain }) {
  const outputs = files.store
    ? ['--output', 'text', '--store', files.store]
    : ['--output', 'json', '--record', files.record, '--store', 'none'];
  mkdirSync(path.dirname(files.tail), { recursive: true });
  const upstream = useTls
    ? `https://127.0.0.1:${ctx.backend.tls}`
    : `http://127.0.0.1:${ctx.backend.h2c}`;
  const shebang = readShebang(main);
  const argv = [
    process.execPath,
    ...shebang.flags,
    ...ctx.nodeFlags,
    main,
    '--listen',
    '127.0.0.1:0',
    '--certs-dir',
    path.join(ctx.stateDir, 'grpctap-ca'),
    '--reverse',
    upstream,
    '--upstream-insecure',
    ...outputs,
  ];
  const child = ctx.group.start(label, argv, {
    cpus: ctx.proxyCpus,
    stdout: files.tail,
    stderrLog: logFile(ctx, label),
    env: shebang.env,
  });
  const match = await waitForStderr(child, /listening on 127\.0\.0\.1:(\d+)/);
  const shown = [
    ...Object.entries(shebang.env).map(([name, value]) => `${name}=${value}`),
    ...argv,
  ];
  return { child, port: Number(match[1]), argv: shown, files };
}

/**
 * Starts the target (the backend must be up) and resolves with
 * `{ name, tls, baseline, port, child, argv, files? }`; `child` is null for direct targets.
 */
export async function startTarget(name, ctx) {
  const tls = !name.endsWith('-h2c');
  const base = { name, tls, baseline: baselineOf(name), description: TARGET_DESCRIPTIONS[name] };
  if (name === 'direct' || name === 'direct-h2c') {
    return { ...base, port: tls ? ctx.backend.tls : ctx.backend.h2c, child: null, argv: null };
  }
  if (name.startsWith('grpctap')) {
    const files =
      name === 'grpctap-store'
        ? {
            tail: path.join(ctx.recordDir, `${name}-stdout.txt`),
            store: path.join(ctx.recordDir, `${name}.db`),
          }
        : {
            tail: path.join(ctx.recordDir, `${name}-stdout.ndjson`),
            record: path.join(ctx.recordDir, `${name}-record.ndjson`),
          };
    const main = name === 'grpctap-b' ? ctx.compareMain : ctx.grpctapMain;
    if (!main) throw new Error('target grpctap-b needs --compare FILE');
    return { ...base, ...(await startGrpctap(ctx, { label: name, useTls: tls, files, main })) };
  }
  const port = await findFreePort();
  let argv;
  if (name === 'nghttpx' || name === 'nghttpx-h2c') {
    argv = nghttpxArgs(port, tls ? ctx.backend.tls : ctx.backend.h2c, tls, ctx);
  } else if (name === 'mitmproxy') {
    const confdir = path.join(ctx.stateDir, 'mitmproxy');
    mkdirSync(confdir, { recursive: true });
    argv = [
      'mitmdump',
      '--mode',
      `reverse:https://127.0.0.1:${ctx.backend.tls}`,
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      String(port),
      '--ssl-insecure',
      '-q',
      '--set',
      `confdir=${confdir}`,
      // The default (eager) dials upstream before the client's ALPN is known and offers none,
      // which an h2-only gRPC backend refuses; lazy mirrors the client's h2.
      '--set',
      'connection_strategy=lazy',
      // Without it a 256 MiB response is buffered whole, at a cost that grows quadratically.
      '--set',
      'stream_large_bodies=1m',
    ];
  } else {
    throw new Error(`unknown target ${name} (known: ${TARGET_NAMES.join(', ')})`);
  }
  const child = ctx.group.start(name, argv, { cpus: ctx.proxyCpus, stderrLog: logFile(ctx, name) });
  await waitForPort(port, child);
  return { ...base, port, child, argv };
}
