import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseClientHello } from '../../src/listener/parse-client-hello.js';
import {
  buildClientHelloMessage,
  captureClientHello,
  concat,
  wrapInRecords,
} from './client-hello-fixtures.js';

describe('parseClientHello with hellos captured from Node TLS clients', () => {
  const captured = new Map<string, Uint8Array>();

  before(async () => {
    captured.set(
      'sni+alpn',
      await captureClientHello({
        servername: 'api.example.test',
        ALPNProtocols: ['h2', 'http/1.1'],
      }),
    );
    captured.set('sni', await captureClientHello({ servername: 'plain.example.test' }));
    captured.set('ip', await captureClientHello({ ALPNProtocols: ['h2'] }));
    captured.set(
      'many-alpn',
      await captureClientHello({
        servername: 'Mixed.Case.Example',
        ALPNProtocols: ['grpc-exp', 'h2', 'http/1.1', 'spdy/3.1'],
      }),
    );
  });

  const hello = (name: string): Uint8Array => {
    const bytes = captured.get(name);
    assert.ok(bytes, `missing capture ${name}`);
    return bytes;
  };

  it('reads the server name and ALPN list a client offers', () => {
    const bytes = hello('sni+alpn');
    assert.deepEqual(parseClientHello(bytes), {
      kind: 'complete',
      serverName: 'api.example.test',
      alpnProtocols: ['h2', 'http/1.1'],
      length: bytes.length,
    });
  });

  it('reports no ALPN protocols when the client sends none', () => {
    const result = parseClientHello(hello('sni'));
    assert.equal(result.kind, 'complete');
    assert.ok(result.kind === 'complete');
    assert.equal(result.serverName, 'plain.example.test');
    assert.deepEqual(result.alpnProtocols, []);
  });

  it('reports no server name when the client connects to an IP address', () => {
    const result = parseClientHello(hello('ip'));
    assert.ok(result.kind === 'complete');
    assert.equal(result.serverName, null);
    assert.deepEqual(result.alpnProtocols, ['h2']);
  });

  it('keeps several ALPN protocols in the client order and the server name as sent', () => {
    const result = parseClientHello(hello('many-alpn'));
    assert.ok(result.kind === 'complete');
    assert.equal(result.serverName, 'Mixed.Case.Example');
    assert.deepEqual(result.alpnProtocols, ['grpc-exp', 'h2', 'http/1.1', 'spdy/3.1']);
  });

  it('needs more for every strict prefix of a captured hello', () => {
    for (const [name, bytes] of captured) {
      for (let length = 0; length < bytes.length; length++) {
        assert.deepEqual(
          parseClientHello(bytes.subarray(0, length)),
          { kind: 'needMore' },
          `${name} cut at ${length}`,
        );
      }
    }
  });

  it('reports the hello length and ignores bytes that follow its record', () => {
    const bytes = hello('sni+alpn');
    const followed = concat([bytes, Uint8Array.of(0x14, 0x03, 0x03, 0x00, 0x01, 0x01)]);
    const result = parseClientHello(followed);
    assert.ok(result.kind === 'complete');
    assert.equal(result.length, bytes.length);
  });

  it('never throws on a captured hello with a random byte changed', () => {
    const bytes = hello('sni+alpn');
    fc.assert(
      fc.property(
        fc.nat({ max: bytes.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        (index, value) => {
          const mutated = new Uint8Array(bytes);
          mutated[index] = value;
          const result = parseClientHello(mutated);
          assert.ok(['complete', 'needMore', 'malformed'].includes(result.kind));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('parseClientHello with hand-made hellos', () => {
  const message = buildClientHelloMessage({
    serverName: 'split.example.test',
    alpnProtocols: ['h2'],
  });
  const expected = { kind: 'complete', serverName: 'split.example.test', alpnProtocols: ['h2'] };

  it('reassembles a hello fragmented across two records at every cut point', () => {
    for (let cut = 1; cut < message.length; cut++) {
      const bytes = wrapInRecords(message, [cut]);
      assert.deepEqual(
        parseClientHello(bytes),
        { ...expected, length: bytes.length },
        `cut ${cut}`,
      );
      for (let length = 0; length < bytes.length; length++) {
        assert.equal(parseClientHello(bytes.subarray(0, length)).kind, 'needMore');
      }
    }
  });

  it('reassembles a hello sent one byte per record', () => {
    const cuts = Array.from({ length: message.length - 1 }, (_, index) => index + 1);
    const bytes = wrapInRecords(message, cuts);
    assert.deepEqual(parseClientHello(bytes), { ...expected, length: bytes.length });
  });

  it('accepts a hello without any extensions', () => {
    const bytes = wrapInRecords(buildClientHelloMessage({ withoutExtensions: true }));
    assert.deepEqual(parseClientHello(bytes), {
      kind: 'complete',
      serverName: null,
      alpnProtocols: [],
      length: bytes.length,
    });
  });

  it('skips unknown extensions', () => {
    const bytes = wrapInRecords(
      buildClientHelloMessage({
        extraExtensions: [
          [0xfe0d, Uint8Array.of(1, 2, 3)],
          [43, Uint8Array.of(2, 3, 4)],
        ],
        serverName: 'x.test',
      }),
    );
    const result = parseClientHello(bytes);
    assert.ok(result.kind === 'complete');
    assert.equal(result.serverName, 'x.test');
  });

  it('rejects records that do not carry a handshake or are not TLS 1.x records', () => {
    const application = wrapInRecords(message);
    application[0] = 0x17;
    assert.equal(parseClientHello(application).kind, 'malformed');
    const sslv2Version = wrapInRecords(message);
    sslv2Version[1] = 0x02;
    assert.equal(parseClientHello(sslv2Version).kind, 'malformed');
  });

  it('rejects a handshake message that is not a ClientHello', () => {
    const other = new Uint8Array(message);
    other[0] = 2;
    assert.equal(parseClientHello(wrapInRecords(other)).kind, 'malformed');
  });

  it('rejects an empty record and a record longer than 2^14 bytes', () => {
    assert.equal(parseClientHello(Uint8Array.of(0x16, 3, 1, 0, 0)).kind, 'malformed');
    assert.equal(parseClientHello(Uint8Array.of(0x16, 3, 1, 0x40, 1)).kind, 'malformed');
  });

  it('rejects a hello whose records exceed maxBytes, before they all arrive', () => {
    const bytes = wrapInRecords(message);
    const result = parseClientHello(bytes.subarray(0, 9), { maxBytes: 64 });
    assert.deepEqual(result, {
      kind: 'malformed',
      reason: 'ClientHello records exceed 64 bytes',
    });
    assert.equal(parseClientHello(bytes, { maxBytes: bytes.length }).kind, 'complete');
    assert.equal(parseClientHello(bytes, { maxBytes: bytes.length - 1 }).kind, 'malformed');
  });

  it('rejects a handshake length that overstates what the records hold', () => {
    const lying = new Uint8Array(message);
    lying[3] = (lying[3] ?? 0) + 1;
    const bytes = concat([wrapInRecords(lying), wrapInRecords(Uint8Array.of(0))]);
    const trailing = parseClientHello(wrapInRecords(lying));
    assert.equal(trailing.kind, 'needMore');
    assert.equal(parseClientHello(bytes).kind, 'malformed');
  });

  it('rejects inner lengths that run past the hello', () => {
    const cases: [number, number, string][] = [
      [4 + 34, 33, 'invalid legacy_session_id'],
      [4 + 35, 0xff, 'invalid cipher_suites'],
      [4 + 36, 3, 'invalid cipher_suites'],
      [4 + 41, 0, 'invalid legacy_compression_methods'],
    ];
    for (const [index, value, reason] of cases) {
      const broken = new Uint8Array(message);
      broken[index] = value;
      assert.deepEqual(parseClientHello(wrapInRecords(broken)), { kind: 'malformed', reason });
    }
  });

  it('rejects an extension whose length runs past the extensions block', () => {
    const broken = new Uint8Array(message);
    const extensionsStart = 4 + 2 + 32 + 1 + 2 + 4 + 2 + 2;
    broken[extensionsStart + 3] = 0xff;
    assert.deepEqual(parseClientHello(wrapInRecords(broken)), {
      kind: 'malformed',
      reason: 'truncated extension',
    });
  });

  it('rejects duplicate extensions, two host names, empty ALPN names and bad host names', () => {
    const sni = buildClientHelloMessage({ serverName: 'a.test' });
    const extensionsStart = 4 + 2 + 32 + 1 + 2 + 4 + 2 + 2;
    const sniExtension = sni.subarray(extensionsStart);
    const twoHosts = Uint8Array.of(
      0,
      16,
      0,
      0,
      5,
      ...Buffer.from('a.tst'),
      0,
      0,
      5,
      ...Buffer.from('b.tst'),
    );
    const cases: [Uint8Array, string][] = [
      [
        buildClientHelloMessage({
          serverName: 'a.test',
          extraExtensions: [[0, sniExtension.subarray(4)]],
        }),
        'duplicate extension 0',
      ],
      [buildClientHelloMessage({ extraExtensions: [[0, twoHosts]] }), 'more than one host_name'],
      [buildClientHelloMessage({ alpnProtocols: ['h2', ''] }), 'empty or truncated ALPN'],
      [buildClientHelloMessage({ alpnProtocols: [] }), 'ALPN list length'],
      [buildClientHelloMessage({ serverName: 'a b.test' }), 'not a DNS host name'],
      [buildClientHelloMessage({ serverName: 'a\u0000.test' }), 'not a DNS host name'],
      [buildClientHelloMessage({ serverName: `${'a.'.repeat(130)}test` }), 'too long'],
    ];
    for (const [hello, reason] of cases) {
      const result = parseClientHello(wrapInRecords(hello));
      assert.ok(result.kind === 'malformed' && result.reason.includes(reason), reason);
    }
  });

  it('never throws on random bytes after a handshake record header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (tail, withHeader) => {
        const bytes = withHeader
          ? concat([Uint8Array.of(0x16, 3, 1, tail.length >> 8, tail.length & 0xff, 1), tail])
          : tail;
        const result = parseClientHello(bytes, { maxBytes: 1024 });
        assert.ok(['complete', 'needMore', 'malformed'].includes(result.kind));
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes the same hello however it is cut into records', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: message.length - 1 }), { maxLength: 8 }),
        (cuts) => {
          const bytes = wrapInRecords(
            message,
            [...cuts].sort((a, b) => a - b),
          );
          assert.deepEqual(parseClientHello(bytes), { ...expected, length: bytes.length });
        },
      ),
    );
  });
});
