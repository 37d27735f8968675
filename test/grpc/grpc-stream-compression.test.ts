import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import type { GrpcData } from '../../src/grpc/grpc-envelope.js';
import type { HeaderList } from '../../src/http2/channel-event.js';
import {
  assertSameInEveryChunking,
  bytes,
  data,
  frame,
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
  requestHeaders,
  responseHeaders,
  runTranscript,
  STREAM_ID,
  T0,
} from './grpc-transcript.js';

const TEXT = 'a message that compresses, compresses, compresses well';

function withEncoding(base: HeaderList, encoding: string): HeaderList {
  return [...base, ['grpc-encoding', encoding]];
}

/** The data envelopes of a call whose request carries `wire` with grpc-encoding `encoding`. */
function sendCompressed(encoding: string | null, wire: Uint8Array, flags = 1): GrpcData[] {
  const headers = encoding === null ? REQUEST_HEADERS : withEncoding(REQUEST_HEADERS, encoding);
  const outcome = assertSameInEveryChunking([
    requestHeaders(headers),
    data('send', frame(wire, flags)),
  ]);
  assert.deepEqual(outcome.resets, []);
  return outcome.envelopes.filter((e): e is GrpcData => e.kind === 'data');
}

describe('createGrpcStream: compressed messages', () => {
  it('inflates gzip and keeps the wire bytes', () => {
    const compressed = gzipSync(TEXT);
    const [message] = sendCompressed('gzip', compressed);
    assert.deepEqual(message, {
      kind: 'data',
      flowId: STREAM_ID,
      time: T0 + 1,
      sequence: 1,
      direction: 'send',
      compressed: true,
      wireLength: compressed.length,
      length: TEXT.length,
      payload: bytes(TEXT),
      raw: frame(compressed, 1),
      anomalies: [],
    });
  });

  it('inflates deflate in zlib format', () => {
    const [message] = sendCompressed('deflate', deflateSync(TEXT));
    assert.deepEqual(message?.payload, bytes(TEXT));
  });

  it('inflates deflate sent as raw DEFLATE', () => {
    const [message] = sendCompressed('deflate', deflateRawSync(TEXT));
    assert.deepEqual(message?.payload, bytes(TEXT));
  });

  it('reads the encoding name without regard to case', () => {
    const [message] = sendCompressed('GZIP', gzipSync(TEXT));
    assert.deepEqual(message?.payload, bytes(TEXT));
  });

  it('leaves an uncompressed message alone whatever the encoding', () => {
    const [message] = sendCompressed('gzip', bytes(TEXT), 0);
    assert.equal(message?.compressed, false);
    assert.deepEqual(message?.payload, bytes(TEXT));
  });

  it('reports an encoding it cannot decode and goes on', () => {
    for (const encoding of ['snappy', 'zstd']) {
      const [message] = sendCompressed(encoding, bytes('opaque'));
      assert.equal(message?.payload, null);
      assert.equal(message?.length, null);
      assert.equal(message?.wireLength, 6);
      assert.deepEqual(
        message?.anomalies.map((a) => a.code),
        ['UNSUPPORTED_ENCODING'],
      );
      assert.match(message?.anomalies[0]?.message ?? '', new RegExp(encoding));
    }
  });

  it('reports the compressed flag under identity encoding', () => {
    const [message] = sendCompressed('identity', bytes('x'));
    assert.equal(message?.payload, null);
    assert.deepEqual(
      message?.anomalies.map((a) => a.code),
      ['UNSUPPORTED_ENCODING'],
    );
    assert.match(message?.anomalies[0]?.message ?? '', /identity/);
  });

  it('reports the compressed flag without any grpc-encoding', () => {
    const [message] = sendCompressed(null, gzipSync(TEXT));
    assert.equal(message?.payload, null);
    assert.deepEqual(
      message?.anomalies.map((a) => a.code),
      ['COMPRESSED_WITHOUT_ENCODING'],
    );
  });

  it('reports a corrupt gzip message without failing the stream', () => {
    const corrupt = gzipSync(TEXT).subarray(0, 12);
    const messages = sendCompressed('gzip', corrupt);
    assert.equal(messages.length, 1);
    assert.equal(messages[0]?.payload, null);
    assert.deepEqual(
      messages[0]?.anomalies.map((a) => a.code),
      ['DECOMPRESSION_FAILED'],
    );
  });

  it('takes each direction’s encoding from that direction’s headers', () => {
    const outcome = runTranscript([
      requestHeaders(withEncoding(REQUEST_HEADERS, 'gzip')),
      data('send', frame(gzipSync('q'), 1)),
      responseHeaders(RESPONSE_HEADERS),
      data('receive', frame(gzipSync('r'), 1)),
    ]);
    const [request, response] = outcome.envelopes.filter((e): e is GrpcData => e.kind === 'data');
    assert.deepEqual(request?.payload, bytes('q'));
    assert.deepEqual(
      response?.anomalies.map((a) => a.code),
      ['COMPRESSED_WITHOUT_ENCODING'],
    );
  });

  it('accepts a decompressed message of exactly the limit', () => {
    const outcome = runTranscript(
      [
        requestHeaders(withEncoding(REQUEST_HEADERS, 'gzip')),
        data('send', frame(gzipSync(new Uint8Array(64)), 1)),
      ],
      64,
    );
    const message = outcome.envelopes[1];
    assert.equal(message?.kind === 'data' && message.length, 64);
  });
});
