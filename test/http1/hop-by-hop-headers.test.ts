import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findRawHeader,
  pairRawHeaders,
  removeHopByHopHeaders,
  replaceHost,
} from '../../src/http1/hop-by-hop-headers.js';

type Pair = [string, string];

/** Flattens readable pairs into the raw `[name, value, ...]` form Node uses. */
function raw(...fields: Pair[]): string[] {
  return fields.flat();
}

/** Filters pairs the way the forwarder filters raw arrays, returning pairs. */
function filter(fields: Pair[], options?: Parameters<typeof removeHopByHopHeaders>[1]): Pair[] {
  return pairRawHeaders(removeHopByHopHeaders(raw(...fields), options));
}

describe('removeHopByHopHeaders', () => {
  it('keeps end-to-end fields in their order and case, duplicates included', () => {
    const fields: Pair[] = [
      ['Host', 'a.example'],
      ['X-B', '1'],
      ['x-a', '2'],
      ['X-B', '3'],
      ['Trailer', 'X-T'],
    ];
    assert.deepEqual(filter(fields), fields);
  });

  it('removes the RFC 9110 connection-specific fields and the Proxy-* fields', () => {
    const fields: Pair[] = [
      ['Connection', 'keep-alive'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Connection', 'keep-alive'],
      ['Proxy-Authorization', 'Basic eDp5'],
      ['Proxy-Authenticate', 'Basic'],
      ['Transfer-Encoding', 'chunked'],
      ['Upgrade', 'websocket'],
      ['TE', 'gzip'],
      ['Accept', '*/*'],
    ];
    assert.deepEqual(filter(fields), [['Accept', '*/*']]);
  });

  it('removes every field the Connection header names, across several Connection lines', () => {
    const fields: Pair[] = [
      ['X-Secret', 's'],
      ['Connection', 'X-Secret, x-other'],
      ['X-OTHER', 'o'],
      ['connection', ' X-Third '],
      ['X-Third', 't'],
      ['X-Kept', 'k'],
    ];
    assert.deepEqual(filter(fields), [['X-Kept', 'k']]);
  });

  it('never lets Connection remove Content-Length or Host', () => {
    const fields: Pair[] = [
      ['Host', 'h'],
      ['Content-Length', '3'],
      ['Connection', 'content-length, host'],
    ];
    assert.deepEqual(filter(fields), [
      ['Host', 'h'],
      ['Content-Length', '3'],
    ]);
  });

  it('keeps TE only as trailers, even when Connection names it', () => {
    const fields: Pair[] = [
      ['Connection', 'TE'],
      ['te', 'deflate, trailers;q=1'],
    ];
    assert.deepEqual(filter(fields), [['te', 'trailers']]);
  });

  it('keeps Transfer-Encoding as received when asked to', () => {
    const fields: Pair[] = [
      ['Transfer-Encoding', 'gzip, chunked'],
      ['X-A', '1'],
    ];
    assert.deepEqual(filter(fields, { keepTransferEncoding: true }), fields);
  });

  it('keeps Connection, Upgrade and the fields they name for an upgrade, minus Proxy-*', () => {
    const fields: Pair[] = [
      ['Connection', 'Upgrade, HTTP2-Settings'],
      ['Upgrade', 'h2c'],
      ['HTTP2-Settings', 'AAMAAABkAAQAAP__'],
      ['Proxy-Authorization', 'Basic eDp5'],
      ['Proxy-Connection', 'keep-alive'],
      ['Sec-WebSocket-Key', 'k'],
    ];
    assert.deepEqual(filter(fields, { upgrade: true }), [
      ['Connection', 'Upgrade, HTTP2-Settings'],
      ['Upgrade', 'h2c'],
      ['HTTP2-Settings', 'AAMAAABkAAQAAP__'],
      ['Sec-WebSocket-Key', 'k'],
    ]);
  });

  it('ignores a dangling name without a value', () => {
    assert.deepEqual(removeHopByHopHeaders(['X-A', '1', 'X-B']), ['X-A', '1']);
  });
});

describe('replaceHost', () => {
  it('replaces the first Host value in place, keeping its name case', () => {
    const fields = raw(['X-A', '1'], ['host', 'wrong'], ['X-B', '2']);
    assert.deepEqual(
      replaceHost(fields, 'right:8080'),
      raw(['X-A', '1'], ['host', 'right:8080'], ['X-B', '2']),
    );
  });

  it('drops further Host fields', () => {
    assert.deepEqual(replaceHost(raw(['Host', 'a'], ['Host', 'b']), 'c'), raw(['Host', 'c']));
  });

  it('adds Host first when the request had none', () => {
    assert.deepEqual(replaceHost(raw(['X-A', '1']), 'c'), raw(['Host', 'c'], ['X-A', '1']));
  });
});

describe('findRawHeader and pairRawHeaders', () => {
  it('finds the first value of a name regardless of case', () => {
    assert.equal(findRawHeader(raw(['HOST', 'a'], ['host', 'b']), 'Host'), 'a');
    assert.equal(findRawHeader(raw(['X-A', '1']), 'host'), undefined);
  });

  it('pairs a flat raw array in order', () => {
    assert.deepEqual(pairRawHeaders(['A', '1', 'b', '2']), [
      ['A', '1'],
      ['b', '2'],
    ]);
  });
});
