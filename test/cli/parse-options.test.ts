import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  envName,
  parseByteSize,
  parseCommand,
  parseDuration,
  MAX_TIMEOUT_MS,
  parseListen,
} from '../../src/cli/parse-options.js';

const LISTEN = 'HOST:PORT, [IPV6]:PORT or PORT, with PORT from 0 to 65535';
const DURATION = 'a duration such as 10s, 500ms or 2m';
const SIZE = 'a size such as 4MiB, 64KiB or 1048576';
const WINDOW = 'a size such as 1MiB, 256KiB or 65535';
const INTEGER = 'an integer from 1 to 2147483647';

/** [flag, bad value, what the error says the flag expects], for every flag that takes a value. */
const BAD_VALUES: readonly (readonly [string, string, string])[] = [
  ['listen', 'nowhere', LISTEN],
  ['listen', 'host:99999', LISTEN],
  ['listen', ':', LISTEN],
  ['certs-dir', '', 'a directory'],
  ['output', 'xml', 'text or json'],
  ['output', 'JSON', 'text or json'],
  ['record', '', 'a file'],
  ['upstream-ca', '', 'a PEM file'],
  ['max-message-size', 'big', SIZE],
  ['max-message-size', '-1', SIZE],
  ['max-message-size', '0', 'a size from 1 byte to 4GiB'],
  ['max-message-size', '5GiB', 'a size from 1 byte to 4GiB'],
  ['store-max-body', '-1', 'a size such as 1MiB, 64KiB or 0'],
  ['store-max-body', '5GiB', 'a size from 0 to 4GiB'],
  ['reverse', 'ftp://host:1', 'https://HOST:PORT or http://HOST:PORT'],
  ['reverse', 'https://host:1/path', 'https://HOST:PORT or http://HOST:PORT'],
  ['proto', '', 'a .proto file or a directory'],
  ['proto-path', '', 'a directory'],
  ['descriptor-set', '', 'a FileDescriptorSet file'],
  ['handshake-timeout', '5parsecs', DURATION],
  ['handshake-timeout', '-1s', DURATION],
  ['handshake-timeout', '0', 'a duration from 1ms to 34560m'],
  ['handshake-timeout', '34561m', 'a duration from 1ms to 34560m'],
  ['idle-timeout', '5parsecs', DURATION],
  ['idle-timeout', '1w', DURATION],
  ['store', '', 'a file, a postgres:// URL or none'],
  ['store-max-size', '512KiB', 'a size of at least 1MiB'],
  ['store-max-size', 'big', 'a size such as 512MiB or 2GiB'],
  ['store-max-age', '500ms', 'a duration of at least 1s'],
  ['store-max-age', 'forever', 'a duration such as 30m, 12h or 7d'],
  ['filter', '', 'a filter expression (docs/filters.md)'],
  ['idle-timeout', '40000m', 'a duration from 0 (never) to 34560m'],
  ['max-connections', '0', INTEGER],
  ['max-connections', '1.5', INTEGER],
  ['max-connections', '1e3', INTEGER],
  ['max-connections', 'many', INTEGER],
  ['max-streams', '-1', INTEGER],
  ['max-streams', '0', INTEGER],
  ['max-streams', '2147483648', INTEGER],
  ['stream-window', '1000', 'a size from 65535 to 2147483647 bytes'],
  ['stream-window', '2GiB', 'a size from 65535 to 2147483647 bytes'],
  ['stream-window', 'wide', WINDOW],
];

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
    assert.equal(options.storeMaxBody, 1024 * 1024);
    assert.equal(options.store, 'grpctap.db');
    assert.equal(options.storeMaxSize, null);
    assert.equal(options.storeMaxAgeMs, null);
    assert.equal(options.filter, null);
    assert.equal(options.verbose, false);
    assert.equal(options.showSecrets, false);
  });

  test('reads -v, --verbose and --show-secrets, also from GRPCTAP_VERBOSE and GRPCTAP_SHOW_SECRETS', () => {
    assert.equal(proxyOptions(['-v']).verbose, true);
    assert.equal(proxyOptions(['--verbose']).verbose, true);
    assert.equal(proxyOptions(['--show-secrets']).showSecrets, true);
    const fromEnv = proxyOptions([], { GRPCTAP_VERBOSE: '1', GRPCTAP_SHOW_SECRETS: 'true' });
    assert.equal(fromEnv.verbose, true);
    assert.equal(fromEnv.showSecrets, true);
    assert.equal(proxyOptions(['--verbose=0'], { GRPCTAP_VERBOSE: '1' }).verbose, false);
  });

  test('reads every flag from GRPCTAP_* and lets the command line win', () => {
    const env = {
      GRPCTAP_LISTEN: '0.0.0.0:9000',
      GRPCTAP_OUTPUT: 'json',
      GRPCTAP_UPSTREAM_INSECURE: 'true',
      GRPCTAP_PROTO: 'a.proto, b.proto',
      GRPCTAP_MAX_STREAMS: '50',
      GRPCTAP_STREAM_WINDOW: '256KiB',
      GRPCTAP_STORE_MAX_BODY: '0',
    };
    const options = proxyOptions(['--output', 'text'], env);
    assert.equal(options.listenHost, '0.0.0.0');
    assert.equal(options.listenPort, 9000);
    assert.equal(options.output, 'text');
    assert.equal(options.upstreamInsecure, true);
    assert.deepEqual(options.proto, ['a.proto', 'b.proto']);
    assert.equal(options.maxStreams, 50);
    assert.equal(options.streamWindow, 256 * 1024);
    assert.equal(options.storeMaxBody, 0);
  });

  test('reads the store options: a file, a postgres URL, none, retention limits', () => {
    assert.equal(proxyOptions(['--store', 'none']).store, null);
    assert.equal(proxyOptions([], { GRPCTAP_STORE: 'none' }).store, null);
    assert.equal(proxyOptions(['--store', 'x.db'], { GRPCTAP_STORE: 'none' }).store, 'x.db');
    assert.equal(proxyOptions(['--store', 'postgres://u:p@h/db']).store, 'postgres://u:p@h/db');
    const limited = proxyOptions(['--store-max-size', '64MiB', '--store-max-age', '7d']);
    assert.equal(limited.storeMaxSize, 64 * 1024 * 1024);
    assert.equal(limited.storeMaxAgeMs, 7 * 86_400_000);
    assert.equal(proxyOptions(['--filter', 'status!=OK']).filter, 'status!=OK');
  });

  test('rejects a bad --filter naming its column', () => {
    assert.deepEqual(parseCommand(['--filter', 'status=FINE'], {}), {
      kind: 'error',
      message:
        '--filter: column 8: status takes a status number or a gRPC status name such as NOT_FOUND (got "FINE")',
    });
  });

  test('reads flows, show and export with their own flags', () => {
    assert.deepEqual(
      parseCommand(['flows', 'method=A', 'status!=OK', '--limit', '5', '--json'], {}),
      {
        kind: 'flows',
        options: {
          store: 'grpctap.db',
          filter: 'method=A status!=OK',
          limit: 5,
          json: true,
          follow: false,
          flow: '',
          format: 'ndjson',
          out: null,
          showSecrets: false,
        },
      },
    );
    const both = parseCommand(['flows', '--filter', 'a=1 or b=2', 'c=3'], {});
    assert.equal(both.kind === 'flows' && both.options.filter, '(a=1 or b=2) and (c=3)');
    const show = parseCommand(['show', '8cb0ff00', '--store', 'x.db'], {});
    assert.equal(
      show.kind === 'show' && `${show.options.flow} ${show.options.store}`,
      '8cb0ff00 x.db',
    );
    const exported = parseCommand(['export', '--format', 'har', '-o', 'out.har'], {
      GRPCTAP_STORE: 's.db',
    });
    assert.equal(
      exported.kind === 'export' &&
        `${exported.options.format} ${exported.options.out} ${exported.options.store}`,
      'har out.har s.db',
    );
  });

  test('rejects command flags where they do not belong, and a store command without a store', () => {
    assert.deepEqual(parseCommand(['--limit', '5'], {}), {
      kind: 'error',
      message: '--limit is only for grpctap flows; see grpctap --help',
    });
    assert.deepEqual(parseCommand(['show', 'abc', '--format', 'har'], {}), {
      kind: 'error',
      message: '--format is only for grpctap export; see grpctap --help',
    });
    assert.deepEqual(parseCommand(['flows', '--store', 'none'], {}), {
      kind: 'error',
      message: 'flows: --store none keeps no flows to read; give a store file or URL',
    });
    assert.deepEqual(parseCommand(['show'], {}), {
      kind: 'error',
      message: 'show: expected a flow id (or a unique prefix of one); see grpctap flows',
    });
    assert.deepEqual(parseCommand(['export', '-o'], {}), {
      kind: 'error',
      message: '--out: expected a file (got nothing)',
    });
  });

  test('rejects every bad value in one form naming the flag, what it takes and what it got', () => {
    for (const [flag, value, expected] of BAD_VALUES) {
      const command = parseCommand([`--${flag}`, value], {});
      assert.deepEqual(
        command,
        {
          kind: 'error',
          message: `--${flag}: expected ${expected} (got ${JSON.stringify(value)})`,
        },
        `--${flag} ${value}`,
      );
      const inline = parseCommand([`--${flag}=${value}`], {});
      assert.deepEqual(inline, command, `--${flag}=${value}`);
    }
  });

  test('names the environment variable when the bad value came from there', () => {
    for (const [flag, value, expected] of BAD_VALUES) {
      if (value === '') continue;
      const variable = envName(flag);
      assert.deepEqual(
        parseCommand([], { [variable]: value }),
        {
          kind: 'error',
          message: `--${flag}: expected ${expected} (got ${JSON.stringify(value)} from ${variable})`,
        },
        variable,
      );
    }
  });

  test('a valid flag hides a bad environment variable, an empty variable counts as unset', () => {
    const options = proxyOptions(['--idle-timeout', '5s'], {
      GRPCTAP_IDLE_TIMEOUT: '5parsecs',
      GRPCTAP_LISTEN: '',
    });
    assert.equal(options.idleTimeoutMs, 5000);
    assert.equal(options.listenPort, 8080);
  });

  test('never repeats the --proxy-auth value', () => {
    assert.deepEqual(parseCommand(['--proxy-auth', 'hunter2'], {}), {
      kind: 'error',
      message: '--proxy-auth: expected USER:PASSWORD (got a value that is not shown)',
    });
    assert.deepEqual(parseCommand([], { GRPCTAP_PROXY_AUTH: 'hunter2' }), {
      kind: 'error',
      message:
        '--proxy-auth: expected USER:PASSWORD (got a value that is not shown from GRPCTAP_PROXY_AUTH)',
    });
  });

  test('booleans take 1, 0, true or false, as a switch, inline or from the environment', () => {
    for (const flag of ['upstream-insecure', 'reflect'] as const) {
      const read = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
        const options = proxyOptions(argv, env);
        return flag === 'reflect' ? options.reflect : options.upstreamInsecure;
      };
      assert.equal(read([]), false);
      assert.equal(read([`--${flag}`]), true);
      for (const [text, value] of [
        ['1', true],
        ['true', true],
        ['TRUE', true],
        ['0', false],
        ['false', false],
      ] as const) {
        assert.equal(read([], { [envName(flag)]: text }), value, `${envName(flag)}=${text}`);
        assert.equal(read([`--${flag}=${text}`]), value, `--${flag}=${text}`);
      }
      assert.equal(read([`--${flag}=false`], { [envName(flag)]: '1' }), false, 'flag wins');
      for (const text of ['yes', 'on', '2', 'y']) {
        assert.deepEqual(parseCommand([], { [envName(flag)]: text }), {
          kind: 'error',
          message: `--${flag}: expected 1, 0, true or false (got ${JSON.stringify(text)} from ${envName(flag)})`,
        });
      }
    }
  });

  test('unknown options, missing values and stray arguments get one line each', () => {
    for (const [argv, message] of [
      [['--bogus'], 'unknown option --bogus; see grpctap --help'],
      [['--bogus=1', '--listen', '1'], 'unknown option --bogus; see grpctap --help'],
      [['-x'], 'unknown option -x; see grpctap --help'],
      [['--listen'], `--listen: expected ${LISTEN} (got nothing)`],
      [['--listen', '--output', 'json'], `--listen: expected ${LISTEN} (got nothing)`],
      [['--record', '--'], '--record: expected a file (got nothing)'],
      [['serve'], 'unknown command "serve"; see grpctap --help'],
      [['--', '--listen'], 'unknown command "--listen"; see grpctap --help'],
      [['ca', 'extra'], 'ca: unexpected argument "extra"; see grpctap --help'],
    ] as const) {
      assert.deepEqual(parseCommand([...argv], {}), { kind: 'error', message }, argv.join(' '));
    }
  });

  test('a value may start with a dash, and reaches the range check', () => {
    assert.equal(proxyOptions(['--certs-dir', '-odd-dir']).certsDir, '-odd-dir');
    assert.deepEqual(parseCommand(['--max-streams', '-1'], {}), {
      kind: 'error',
      message: '--max-streams: expected an integer from 1 to 2147483647 (got "-1")',
    });
  });

  test('--help wins over every other problem on the line', () => {
    assert.equal(parseCommand(['--bogus', '--help'], {}).kind, 'help');
    assert.equal(parseCommand(['--listen', '-h'], {}).kind, 'help');
    assert.equal(parseCommand(['--idle-timeout', 'x', '--version'], {}).kind, 'version');
  });

  test('accepts the edges of every range', () => {
    const options = proxyOptions([
      '--max-message-size=4GiB',
      '--handshake-timeout=1ms',
      '--idle-timeout=0',
      '--max-streams=2147483647',
      '--stream-window=65535',
      '--max-connections=1',
      '--listen=[::1]:0',
      '--reverse=http://[::1]:9',
    ]);
    assert.equal(options.maxMessageSize, 4 * 1024 ** 3);
    assert.equal(options.handshakeTimeoutMs, 1);
    assert.equal(options.idleTimeoutMs, 0);
    assert.equal(options.maxStreams, 2 ** 31 - 1);
    assert.equal(options.streamWindow, 65_535);
    assert.equal(options.maxConnections, 1);
    assert.equal(options.listenHost, '::1');
    assert.equal(options.reverse, 'http://[::1]:9');
    assert.equal(proxyOptions(['--idle-timeout', '34560m']).idleTimeoutMs, MAX_TIMEOUT_MS);
  });

  test('knows the ca subcommand, help and version', () => {
    assert.deepEqual(parseCommand(['ca', '--certs-dir', 'x'], {}), { kind: 'ca', certsDir: 'x' });
    assert.equal(parseCommand(['--help'], {}).kind, 'help');
    assert.equal(parseCommand(['--version'], {}).kind, 'version');
    assert.equal(parseCommand(['serve'], {}).kind, 'error');
    assert.equal(parseCommand(['-h'], {}).kind, 'help');
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
