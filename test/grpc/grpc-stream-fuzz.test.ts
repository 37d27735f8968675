import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ChannelEvent, Direction, HeaderList } from '../../src/http2/channel-event.js';
import {
  data,
  end,
  informational,
  REQUEST_HEADERS,
  requestHeaders,
  reset,
  responseHeaders,
  runTranscript,
  T0,
  trailers,
} from './grpc-transcript.js';

const MAX = 32;

const directionArb = fc.constantFrom<Direction>('send', 'receive');

const headerListArb: fc.Arbitrary<HeaderList> = fc.array(
  fc.tuple(
    fc.constantFrom(
      ':status',
      ':path',
      'content-type',
      'grpc-encoding',
      'grpc-status',
      'grpc-message',
      'grpc-status-details-bin',
      'x-any',
    ),
    fc.oneof(fc.string(), fc.constantFrom('200', '0', '13', '503', 'gzip', 'deflate', '%zz%4')),
  ),
  { maxLength: 6 },
);

/** Any event the edge could deliver, in any order, with hostile content. */
const eventArb: fc.Arbitrary<ChannelEvent> = fc.oneof(
  fc
    .tuple(directionArb, fc.uint8Array({ maxLength: 40 }))
    .map(([direction, bytes]) => data(direction, bytes)),
  fc
    .tuple(headerListArb, fc.boolean())
    .map(([headers, endStream]) => responseHeaders(headers, T0 + 2, endStream)),
  fc
    .tuple(headerListArb, fc.boolean())
    .map(([headers, endStream]) => requestHeaders([...REQUEST_HEADERS, ...headers], T0, endStream)),
  headerListArb.map((headers) => trailers(headers)),
  headerListArb.map((headers) => informational(headers)),
  directionArb.map((direction) => end(direction)),
  fc
    .tuple(directionArb, fc.constantFrom('CANCEL', 'INTERNAL_ERROR'))
    .map(([direction, code]) =>
      reset(direction, code, direction === 'send' ? 'client' : 'upstream'),
    ),
);

describe('createGrpcStream: fuzzing', () => {
  it('never throws on random bytes and never holds a message over the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const outcome = runTranscript(
          [requestHeaders(), ...chunks.map((chunk) => data('send', chunk)), end('send')],
          MAX,
        );
        for (const envelope of outcome.envelopes) {
          if (envelope.kind !== 'data') continue;
          assert.ok(envelope.raw.length <= 5 + MAX);
          assert.ok((envelope.payload?.length ?? 0) <= MAX);
        }
        assert.ok(outcome.resets.length <= 1);
      }),
      { numRuns: 500 },
    );
  });

  it('fails any declared length over the limit on its fifth byte', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX + 1, max: 0xffff_ffff }), (length) => {
        const prefix = new Uint8Array(5);
        new DataView(prefix.buffer).setUint32(1, length);
        const outcome = runTranscript(
          [requestHeaders(), data('send', prefix.subarray(0, 4)), data('send', prefix.subarray(4))],
          MAX,
        );
        assert.deepEqual(outcome.perEvent, [1, 0, 2]);
        assert.equal(outcome.resets[0]?.code, 'MESSAGE_TOO_LARGE');
      }),
      { numRuns: 200 },
    );
  });

  it('keeps its invariants under any sequence of events', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 12 }), (events) => {
        const outcome = runTranscript([requestHeaders(), ...events], MAX);
        const kinds = outcome.envelopes.map((e) => e.kind);
        const flows = kinds.filter((kind) => kind === 'flow').length;
        assert.ok(flows <= 1, 'at most one flow');
        if (flows === 1) assert.equal(kinds.at(-1), 'flow', 'the flow comes last');
        assert.equal(flows === 1, outcome.finished);
        assert.equal(kinds.filter((kind) => kind === 'end').length, flows, 'one end per flow');
        const sequences = outcome.envelopes.flatMap((e) => (e.kind === 'flow' ? [] : [e.sequence]));
        assert.deepEqual(
          sequences,
          sequences.map((_, i) => i),
        );
      }),
      { numRuns: 500 },
    );
  });
});
