import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runUntilSignal, type StoppableService } from '../../src/cli/run-until-signal.js';
import { waitUntil } from '../helpers/wait.js';

/** Delivers `signal` to the handlers `runUntilSignal` installed, as the OS would. */
function deliver(signal: NodeJS.Signals): void {
  process.emit(signal, signal);
}

function service(stop: () => Promise<void>, unflushed: string[] = []): StoppableService {
  return { stop, unflushed: () => unflushed };
}

describe('runUntilSignal', () => {
  test('stops on SIGTERM and exits 0 once everything is flushed', async () => {
    const logs: string[] = [];
    let stopped = false;
    const running = runUntilSignal(
      () =>
        Promise.resolve(
          service(() => {
            stopped = true;
            return Promise.resolve();
          }),
        ),
      { log: (line) => logs.push(line) },
    );
    await new Promise((resolve) => setImmediate(resolve));
    deliver('SIGTERM');
    assert.equal(await running, 0);
    assert.ok(stopped);
    assert.deepEqual(logs, ['SIGTERM: flushing records and exiting']);
  });

  test('exits 1 on a signal during a start-up that never finishes', async () => {
    const logs: string[] = [];
    const running = runUntilSignal(() => new Promise<StoppableService>(() => {}), {
      log: (line) => logs.push(line),
    });
    deliver('SIGINT');
    assert.equal(await running, 1);
    assert.deepEqual(logs, [
      'SIGINT during start-up: exiting before listening, nothing was recorded',
    ]);
  });

  test('gives up after the deadline and names what was not flushed', async () => {
    const logs: string[] = [];
    const started = Date.now();
    const running = runUntilSignal(
      () =>
        Promise.resolve(
          service(
            () => new Promise(() => {}),
            ['stdout: 10 bytes still queued', '2 client connections still open'],
          ),
        ),
      { log: (line) => logs.push(line), deadlineMs: 300 },
    );
    await new Promise((resolve) => setImmediate(resolve));
    deliver('SIGTERM');
    assert.equal(await running, 1);
    assert.ok(Date.now() - started >= 290, 'not before the deadline');
    assert.equal(
      logs[1],
      'SIGTERM: flushing did not finish within 0.3 s (stdout: 10 bytes still queued; 2 client connections still open); exiting with status 1',
    );
  });

  test('a second signal while flushing exits at once', async () => {
    const logs: string[] = [];
    const running = runUntilSignal(
      () => Promise.resolve(service(() => new Promise(() => {}), ['stdout: 1 bytes still queued'])),
      { log: (line) => logs.push(line), deadlineMs: 60_000 },
    );
    await new Promise((resolve) => setImmediate(resolve));
    deliver('SIGINT');
    await waitUntil(() => logs.length === 1, 'the first signal to be taken');
    deliver('SIGINT');
    assert.equal(await running, 1);
    assert.equal(
      logs[1],
      'SIGINT: flushing was interrupted by a second SIGINT (stdout: 1 bytes still queued); exiting with status 1',
    );
  });

  test('leaves no signal handler behind', async () => {
    const before = process.listenerCount('SIGTERM');
    const running = runUntilSignal(() => Promise.resolve(service(() => Promise.resolve())), {
      log: () => {},
    });
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    await new Promise((resolve) => setImmediate(resolve));
    deliver('SIGTERM');
    await running;
    assert.equal(process.listenerCount('SIGTERM'), before);
  });
});
