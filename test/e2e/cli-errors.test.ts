/**
 * What the real CLI prints and returns when it cannot run: usage errors exit 2 with one line and
 * no help text; failures at start-up (the address in use or not this machine's, a file it may
 * not write, an unusable CA directory) exit 1 with one line and no stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/run-cli.js';
import { startProxy } from '../helpers/start-proxy.js';

let dir: string;
let certsDir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grpctap-cli-errors-'));
  certsDir = join(dir, 'certs');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the proxy command with `args` (on 127.0.0.1:0 unless `--listen` is among them). */
function runProxyCli(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const listen = args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0'];
  return runCli([...listen, '--certs-dir', certsDir, ...args], {
    env,
    terminateOn: /listening on/,
    killAfterMs: 20_000,
  });
}

describe('usage errors', () => {
  test('exit 2 with exactly one line naming the flag, the expectation and the value', async () => {
    for (const [args, env, line] of [
      [
        ['--idle-timeout', '5parsecs'],
        {},
        'grpctap: --idle-timeout: expected a duration such as 10s, 500ms or 2m (got "5parsecs")',
      ],
      [
        [],
        { GRPCTAP_IDLE_TIMEOUT: '5parsecs' },
        'grpctap: --idle-timeout: expected a duration such as 10s, 500ms or 2m (got "5parsecs" from GRPCTAP_IDLE_TIMEOUT)',
      ],
      [['--bogus'], {}, 'grpctap: unknown option --bogus; see grpctap --help'],
      [
        ['--max-streams', '-1'],
        {},
        'grpctap: --max-streams: expected an integer from 1 to 2147483647 (got "-1")',
      ],
      [
        [],
        { GRPCTAP_UPSTREAM_INSECURE: 'yes' },
        'grpctap: --upstream-insecure: expected 1, 0, true or false (got "yes" from GRPCTAP_UPSTREAM_INSECURE)',
      ],
      [['serve'], {}, 'grpctap: unknown command "serve"; see grpctap --help'],
      [['--record'], {}, 'grpctap: --record: expected a file (got nothing)'],
    ] as const) {
      const result = await runProxyCli(args, env);
      const what = `${args.join(' ')} ${JSON.stringify(env)}`;
      assert.equal(result.code, 2, what);
      assert.equal(result.stderr, `${line}\n`, what);
      assert.equal(result.stdout, '', `no help dump: ${what}`);
    }
  });

  test('--help still prints the whole help and exits 0', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^grpctap: an intercepting gRPC/);
    assert.match(result.stdout, /--handshake-timeout DUR/);
    assert.equal(result.stderr, '');
  });
});

describe('start-up failures', () => {
  test('the --listen port already in use: one line, exit 1', async () => {
    const first = await startProxy();
    try {
      const result = await runProxyCli(['--listen', `127.0.0.1:${first.port}`]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^(grpctap: created a CA in .*\\n)?grpctap: --listen 127\\.0\\.0\\.1:${first.port}: address already in use by another process \\(EADDRINUSE\\)\\n$`,
        ),
      );
    } finally {
      assert.equal(await first.stop(), 0);
    }
  });

  test('a --listen address that is not this machine: one line, exit 1', async () => {
    const result = await runProxyCli(['--listen', '192.0.2.1:0']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^(grpctap: created a CA in .*\n)?grpctap: --listen 192\.0\.2\.1:0: address not available on this machine \(EADDRNOTAVAIL\)\n$/,
    );
  });

  test('a --record file it may not create (EACCES): one line, exit 1', async () => {
    const result = await runProxyCli(['--record', '/sys/grpctap-records.ndjson']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^(grpctap: created a CA in .*\n)?grpctap: --record \/sys\/grpctap-records\.ndjson: (EACCES: permission denied|EROFS|EPERM)[^\n]*\n$/,
    );
  });

  test('a --certs-dir that is a file: one line, exit 1, for the proxy and for grpctap ca', async () => {
    const file = join(dir, 'not-a-dir');
    await writeFile(file, '');
    const line = `grpctap: --certs-dir ${file}/certs: cannot create directory ${file}: it exists and is not a directory\n`;
    for (const args of [
      ['--listen', '127.0.0.1:0', '--certs-dir', `${file}/certs`],
      ['ca', '--certs-dir', `${file}/certs`],
    ]) {
      const result = await runCli(args, { killAfterMs: 20_000 });
      assert.equal(result.code, 1, args.join(' '));
      assert.equal(result.stderr, line, args.join(' '));
    }
  });
});
