/**
 * Shutdown that cannot finish cleanly: a certs directory on a file system where Node's recursive
 * mkdir never returns, a record FIFO nobody reads, and stdout and the record file both stalled
 * with megabytes of records queued. SIGINT / SIGTERM must still end the process within the
 * shutdown deadline (5 s), saying what was not flushed.
 */
import assert from 'node:assert/strict';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { request, startH2Server } from '../helpers/h2-peers.js';
import { runCli } from '../helpers/run-cli.js';
import { startProxy } from '../helpers/start-proxy.js';
import { settleWithin, waitForValue } from '../helpers/wait.js';
import { grpcMessage } from './hostile-harness.js';

/** A FIFO in a fresh temporary directory (also the place for a certs directory). */
async function makeFifo(name: string): Promise<{ dir: string; fifo: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'grpctap-fifo-'));
  const fifo = join(dir, name);
  execFileSync('mkfifo', [fifo]);
  return { dir, fifo };
}

describe('shutdown that cannot flush', () => {
  test('a --certs-dir under /proc fails at once with the level it could not create', async () => {
    // Node's recursive mkdir spins on /proc forever; SIGTERM after 5 s proves the CLI still ends.
    const result = await runCli(
      ['--listen', '127.0.0.1:0', '--certs-dir', '/proc/self/grpctap-certs/ca'],
      { terminateAfterMs: 5000, killAfterMs: 10_000 },
    );
    assert.equal(result.killed, false, `the CLI had to be killed; stderr:\n${result.stderr}`);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^grpctap: --certs-dir \/proc\/self\/grpctap-certs\/ca: cannot create directory \/proc\/self\/grpctap-certs: ENOENT: no such file or directory, mkdir '\/proc\/self\/grpctap-certs'\n$/,
    );
  });

  test('a --record FIFO nobody reads stops start-up with one line instead of hanging', async () => {
    const { dir, fifo } = await makeFifo('records.fifo');
    try {
      const result = await runCli(
        ['--listen', '127.0.0.1:0', '--certs-dir', join(dir, 'certs'), '--record', fifo],
        { terminateAfterMs: 5000, killAfterMs: 10_000 },
      );
      assert.equal(result.killed, false, `the CLI had to be killed; stderr:\n${result.stderr}`);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `grpctap: --record ${fifo}: a FIFO that no process is reading \\(ENXIO\\); start its reader first\\n$`,
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('SIGTERM during a start-up stuck in the kernel (an --upstream-ca FIFO) still ends it', async () => {
    const { dir, fifo } = await makeFifo('ca.fifo');
    // A write end opened once grpctap has the FIFO open for reading (until then a non-blocking
    // open fails with ENXIO), and held open without writing: its read then blocks a thread-pool
    // thread for good, and Node's exit joins the thread pool, so process.exit alone would never
    // return. The FIFO is read inside start-up, after the signal handlers are installed.
    let writer: number | undefined;
    const reading = waitForValue(
      () => {
        try {
          writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
          return writer;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENXIO') return undefined;
          throw error;
        }
      },
      'grpctap to open the --upstream-ca FIFO',
      30_000,
    );
    try {
      const stuck = await runCli(
        ['--listen', '127.0.0.1:0', '--certs-dir', join(dir, 'certs'), '--upstream-ca', fifo],
        { terminateWhen: reading, killAfterMs: 40_000 },
      );
      assert.equal(stuck.killed, false, `the test had to kill it; stderr:\n${stuck.stderr}`);
      assert.equal(
        stuck.signal,
        'SIGKILL',
        `it ends itself with SIGKILL; stderr:\n${stuck.stderr}`,
      );
      assert.ok((stuck.afterTerminateMs ?? Infinity) < 3000, `${stuck.afterTerminateMs} ms`);
      assert.match(
        stuck.stderr,
        /grpctap: SIGTERM during start-up: exiting before listening, nothing was recorded\ngrpctap: 1 file operation is blocked in the kernel \(a FIFO without a peer, a hung file system\); ending with SIGKILL\n$/,
      );
    } finally {
      if (writer !== undefined) closeSync(writer);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('SIGTERM with stdout and the record FIFO stalled exits 1 within 5 s, naming what was left', async () => {
    const { dir, fifo } = await makeFifo('records.fifo');
    // A reader that opens the FIFO and never reads: writes fill its 64 KiB and then wait.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const upstream = await startH2Server((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.pipe(stream, { end: false });
      stream.on('end', () => {
        stream.end();
      });
    });
    upstream.server.on('stream', (stream) => {
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    });
    const proxy = await startProxy({ args: ['--record', fifo], readStdout: false });
    const session = http2.connect(proxy.url);
    session.on('error', () => {});
    try {
      const authority = `127.0.0.1:${upstream.port}`;
      for (let call = 0; call < 2; call++) {
        const answer = await request(
          session,
          {
            ':method': 'POST',
            ':path': '/stall.Svc/Big',
            ':authority': authority,
            'content-type': 'application/grpc',
            te: 'trailers',
          },
          grpcMessage(Buffer.alloc(1024 * 1024, call)),
        );
        assert.equal(answer.body.length, 1024 * 1024 + 5, 'the proxy forwards while records wait');
      }
      session.close();
      const signalled = Date.now();
      const code = await settleWithin(proxy.stop('SIGTERM'), 15_000, 'still running');
      const took = Date.now() - signalled;
      assert.equal(code, 1, proxy.stderr());
      assert.ok(took >= 4500 && took < 9000, `exit ${took} ms after SIGTERM`);
      assert.match(
        proxy.stderr(),
        new RegExp(
          `grpctap: SIGTERM: flushing did not finish within 5 s \\(stdout: \\d+ bytes still queued; --record ${fifo}: \\d+ bytes still queued\\); exiting with status 1\\n$`,
        ),
      );
    } finally {
      session.destroy();
      if (proxy.child.exitCode === null) proxy.child.kill('SIGKILL');
      closeSync(reader);
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
