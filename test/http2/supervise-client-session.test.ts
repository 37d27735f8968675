import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { superviseClientSession } from '../../src/http2/supervise-client-session.js';
import {
  encodePing,
  encodeSettingsAck,
  FrameFlag,
  FrameType,
  openRawH2,
  type RawH2Connection,
} from '../helpers/raw-h2.js';
import { settleWithin } from '../helpers/wait.js';

const PING_TIMEOUT_MS = 200;

/** Keeps this process's event loop busy for `ms`, as a flood or a loaded machine would. */
function stallEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy on purpose: timers expire while nothing is read.
  }
}

describe('superviseClientSession liveness check', () => {
  let server: net.Server;
  let port: number;
  const logs: string[] = [];

  before(async () => {
    server = net.createServer((socket) => {
      const session = http2.performServerHandshake(socket);
      session.on('error', () => {});
      superviseClientSession(session, {
        idleTimeoutMs: 0,
        pingTimeoutMs: PING_TIMEOUT_MS,
        label: 'test',
        log: (line) => logs.push(line),
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  async function connect(): Promise<RawH2Connection> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const connection = openRawH2(socket, { autoAck: false });
    await connection.waitForFrame((f) => f.type === FrameType.SETTINGS && f.flags === 0);
    connection.write(encodeSettingsAck());
    return connection;
  }
  const isProbe = (f: { type: number; flags: number }): boolean =>
    f.type === FrameType.PING && (f.flags & FrameFlag.ACK) === 0;

  test('an answer that arrived while the proxy was stalled past the deadline counts', async () => {
    const connection = await connect();
    const probe = await connection.waitForFrame(isProbe);
    connection.write(encodePing(probe.payload, true));
    // The answer now waits in the proxy's socket while its deadline passes unseen.
    stallEventLoop(3 * PING_TIMEOUT_MS);

    const mark = Buffer.from('alive?!!', 'latin1');
    connection.write(encodePing(mark));
    const answer = await connection.waitForFrame(
      (f) => f.type === FrameType.PING && (f.flags & FrameFlag.ACK) !== 0 && f.payload.equals(mark),
    );
    assert.ok(answer, 'the session still answers');
    assert.equal(connection.isClosed, false);
    assert.deepEqual(
      logs.filter((line) => line.includes('no answer to a PING')),
      [],
      'the client was not taken for dead',
    );
    connection.destroy();
  });

  test('a client that never answers is still closed after the deadline', async () => {
    const connection = await connect();
    await connection.waitForFrame(isProbe);
    const outcome = await settleWithin(
      connection.closed.then(() => 'closed'),
      10_000,
      'still open',
    );
    assert.equal(outcome, 'closed');
    assert.ok(logs.some((line) => line.includes('no answer to a PING within 200 ms')));
  });
});
