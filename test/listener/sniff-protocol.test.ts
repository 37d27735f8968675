import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  H2C_PREFACE,
  MAX_METHOD_LENGTH,
  SNIFF_MAX_BYTES,
  sniffProtocol,
} from '../../src/listener/sniff-protocol.js';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Asserts every strict prefix of `bytes` needs more and `bytes` itself gives `kind`. */
function assertDecidedAtEnd(bytes: Uint8Array, kind: string): void {
  for (let length = 0; length < bytes.length; length++) {
    assert.deepEqual(sniffProtocol(bytes.subarray(0, length)), { kind: 'needMore' }, `${length}`);
  }
  assert.deepEqual(sniffProtocol(bytes), { kind });
}

describe('sniffProtocol', () => {
  it('needs more for an empty buffer', () => {
    assert.deepEqual(sniffProtocol(new Uint8Array(0)), { kind: 'needMore' });
  });

  it('recognises a TLS handshake record for every record version from SSL 3.0 to TLS 1.3', () => {
    for (let minor = 0; minor <= 4; minor++) {
      assertDecidedAtEnd(Uint8Array.of(0x16, 0x03, minor), 'tls');
      assert.deepEqual(sniffProtocol(Uint8Array.of(0x16, 0x03, minor, 0x02, 0x00, 0x01)), {
        kind: 'tls',
      });
    }
  });

  it('rejects handshake records with an impossible version', () => {
    assert.deepEqual(sniffProtocol(Uint8Array.of(0x16, 0x02)), { kind: 'unknown' });
    assert.deepEqual(sniffProtocol(Uint8Array.of(0x16, 0x03, 0x05)), { kind: 'unknown' });
    assert.deepEqual(sniffProtocol(Uint8Array.of(0x17, 0x03, 0x03)), { kind: 'unknown' });
  });

  it('recognises the h2c preface only once all 24 bytes are in', () => {
    assertDecidedAtEnd(H2C_PREFACE, 'h2c');
    const withFrame = Uint8Array.of(...H2C_PREFACE, 0, 0, 0, 4, 0, 0, 0, 0, 0);
    assert.deepEqual(sniffProtocol(withFrame), { kind: 'h2c' });
  });

  it('treats a PRI request that diverges from the preface as HTTP/1', () => {
    assert.deepEqual(sniffProtocol(bytesOf('PRI * HTTP/1.1\r\n')), { kind: 'http1' });
    assert.deepEqual(sniffProtocol(bytesOf('PRI * HTTP/2.0\r\n\r\nXX')), { kind: 'http1' });
  });

  it('recognises HTTP/1 request lines once the method and its space are in', () => {
    for (const method of [
      'GET',
      'POST',
      'CONNECT',
      'OPTIONS',
      'M-SEARCH',
      'VERSION-CONTROL',
      'P',
    ]) {
      assertDecidedAtEnd(bytesOf(`${method} `), 'http1');
      assert.deepEqual(sniffProtocol(bytesOf(`${method} /path HTTP/1.1\r\n`)), { kind: 'http1' });
    }
  });

  it('accepts a method of exactly 32 characters and rejects 33', () => {
    const longest = 'A'.repeat(MAX_METHOD_LENGTH);
    assertDecidedAtEnd(bytesOf(`${longest} `), 'http1');
    assert.deepEqual(sniffProtocol(bytesOf(`${longest}A`)), { kind: 'unknown' });
    assert.deepEqual(sniffProtocol(bytesOf(`${longest}A `)), { kind: 'unknown' });
  });

  it('rejects lower-case methods, leading spaces and other bytes', () => {
    for (const text of ['get / HTTP/1.1', ' GET /', 'GET\t/', 'G{T /', '\r\n', 'SSH-2.0-OpenSSH']) {
      assert.deepEqual(sniffProtocol(bytesOf(text)), { kind: 'unknown' }, JSON.stringify(text));
    }
    assert.deepEqual(sniffProtocol(Uint8Array.of(0x80, 0x2e, 0x01)), { kind: 'unknown' });
    assert.deepEqual(sniffProtocol(Uint8Array.of(0x00)), { kind: 'unknown' });
  });

  it('never throws and decides within SNIFF_MAX_BYTES for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const result = sniffProtocol(bytes);
        if (bytes.length >= SNIFF_MAX_BYTES) {
          assert.notEqual(result.kind, 'needMore');
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the same answer for a decided stream whatever follows it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(bytesOf('GET '), H2C_PREFACE, Uint8Array.of(0x16, 3, 1), bytesOf('get')),
        fc.uint8Array({ maxLength: 40 }),
        (start, rest) => {
          const decided = sniffProtocol(start);
          assert.deepEqual(sniffProtocol(Uint8Array.of(...start, ...rest)), decided);
        },
      ),
    );
  });
});
