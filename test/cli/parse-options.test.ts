import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  envName,
  parseByteSize,
  parseCommand,
  parseDuration,
  parseListen,
} from '../../src/cli/parse-options.js';

function proxyOptions(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const command = parseCommand(argv, env);
  assert.equal(command.kind, 'proxy', JSON.stringify(command));
  return command.options;
}

describe('parseCommand', () => {
  test('uses the documented defaults', () => {
    const options = proxyOptions([]);
    assert.equal(options.listenHost, '127.0.0.1');
    assert.equal(options.listenPort, 8080);
    assert.equal(options.certsDir, 'certs');
    assert.equal(options.output, 'text');
    assert.equal(options.record, null);
    assert.equal(options.upstreamInsecure, false);
    assert.equal(options.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE);
    assert.equal(options.handshakeTimeoutMs, 10_000);
    assert.equal(options.idleTimeoutMs, 300_000);
    assert.equal(options.maxConnections, 10_000);
    assert.equal(options.maxStreams, 1000);
    assert.equal(options.streamWindow, 1024 * 1024);
  });

  test('reads every flag from GRPCTAP_* and lets the command line win', () => {
    const env = {
      GRPCTAP_LISTEN: '0.0.0.0:9000',
      GRPCTAP_OUTPUT: 'json',
      GRPCTAP_UPSTREAM_INSECURE: 'true',
      GRPCTAP_PROTO: 'a.proto, b.proto',
      GRPCTAP_MAX_STREAMS: '50',
      GRPCTAP_STREAM_WINDOW: '256KiB',
    };
    const options = proxyOptions(['--output', 'text'], env);
    assert.equal(options.listenHost, '0.0.0.0');
    assert.equal(options.listenPort, 9000);
    assert.equal(options.output, 'text');
    assert.equal(options.upstreamInsecure, true);
    assert.deepEqual(options.proto, ['a.proto', 'b.proto']);
    assert.equal(options.maxStreams, 50);
    assert.equal(options.streamWindow, 256 * 1024);
  });

  test('rejects values outside their range with a message naming the flag', () => {
    for (const [argv, flag] of [
      [['--output', 'xml'], '--output'],
      [['--listen', 'nowhere'], '--listen'],
      [['--max-message-size', 'big'], '--max-message-size'],
      [['--max-streams', '0'], '--max-streams'],
      [['--stream-window', '1000'], '--stream-window'],
      [['--stream-window', '4GiB'], '--stream-window'],
      [['--proxy-auth', 'nocolon'], '--proxy-auth'],
      [['--no-such-flag'], 'no-such-flag'],
    ] as const) {
      const command = parseCommand([...argv], {});
      assert.equal(command.kind, 'error', argv.join(' '));
      assert.match((command as { message: string }).message, new RegExp(flag));
    }
  });

  test('knows the ca subcommand, help and version', () => {
    assert.deepEqual(parseCommand(['ca', '--certs-dir', 'x'], {}), { kind: 'ca', certsDir: 'x' });
    assert.equal(parseCommand(['--help'], {}).kind, 'help');
    assert.equal(parseCommand(['--version'], {}).kind, 'version');
    assert.equal(parseCommand(['serve'], {}).kind, 'error');
  });
});

describe('value parsers', () => {
  test('read sizes, durations and listen addresses', () => {
    assert.equal(parseByteSize('4MiB'), 4 * 1024 * 1024);
    assert.equal(parseByteSize('64k'), 65_536);
    assert.equal(parseByteSize('12'), 12);
    assert.equal(parseByteSize('-1'), null);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('10'), 10_000);
    assert.equal(parseDuration('soon'), null);
    assert.deepEqual(parseListen('[::1]:8080'), { host: '::1', port: 8080 });
    assert.deepEqual(parseListen('9090'), { host: '127.0.0.1', port: 9090 });
    assert.equal(parseListen('host:99999'), null);
    assert.equal(envName('upstream-ca'), 'GRPCTAP_UPSTREAM_CA');
  });
});
