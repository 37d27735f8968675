/**
 * The relay's per-connection state machine as transcripts, in the style of mitmproxy's playbooks:
 * bytes from each peer in, and exactly what comes out (writes to each side, channel events,
 * recorded failures, ends) in the order it comes out. Writes are shown as the frames they carry.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChannelEvent } from '../../src/http2/channel-event.js';
import { createFrameParser, type FrameParser } from '../../src/h2/create-frame-parser.js';
import { createHeaderBlockAssembler } from '../../src/h2/create-header-block-assembler.js';
import { createHpackDecoder, type HpackDecoder } from '../../src/h2/create-hpack-decoder.js';
import {
  createRelayConnection,
  type FrameFacts,
  type RelayConnection,
  type RelayFailure,
} from '../../src/h2/create-relay-connection.js';
import { decodeGoaway, decodeRstStream, decodeWindowUpdate } from '../../src/h2/decode-frame.js';
import {
  encodeDataFrames,
  encodeHeadersFrames,
  encodeSettingsAckFrame,
  encodeSettingsFrame,
} from '../../src/h2/encode-frame.js';
import { nameErrorCode } from '../../src/h2/error-code.js';
import {
  CONNECTION_PREFACE,
  FrameFlag,
  FrameType,
  nameFrameType,
} from '../../src/h2/frame-constants.js';
import type { Peer } from '../../src/h2/relay-stream.js';
import { encodeFrame, encodeHeaderBlock, encodeIndexingLiteral } from '../helpers/raw-h2.js';

const REQUEST = encodeHeaderBlock([
  [':method', 'POST'],
  [':scheme', 'https'],
  [':path', '/echo.Echo/Say'],
  [':authority', 'example.test'],
  ['content-type', 'application/grpc'],
]);
const RESPONSE = encodeHeaderBlock([
  [':status', '200'],
  ['content-type', 'application/grpc'],
]);
const TRAILERS = encodeHeaderBlock([['grpc-status', '0']]);
const CLIENT_START = Buffer.concat([CONNECTION_PREFACE, encodeSettingsFrame([])]);
const SERVER_START = encodeSettingsFrame([]);

/** Renders written bytes as frames, with a parser per receiving side that follows the writes. */
class Transcript {
  readonly lines: string[] = [];
  readonly writes: Record<Peer, Uint8Array[]> = { client: [], upstream: [] };
  readonly events: ChannelEvent[] = [];
  readonly facts: (FrameFacts | null)[] = [];
  readonly failures: RelayFailure[] = [];
  readonly decoders: Record<Peer, HpackDecoder> = {
    client: createHpackDecoder(),
    upstream: createHpackDecoder(),
  };
  private readonly parsers: Record<Peer, FrameParser> = {
    client: createFrameParser({ sender: 'server' }),
    upstream: createFrameParser({ sender: 'client' }),
  };
  private readonly assemblers = {
    client: createHeaderBlockAssembler(),
    upstream: createHeaderBlockAssembler(),
  };
  private flows = 0;

  readonly relay: RelayConnection;

  constructor(maxHeaderListBytes = 64 * 1024) {
    this.relay = createRelayConnection({
      output: {
        write: (side, bytes) => {
          this.writes[side].push(bytes);
          const { frames, error } = this.parsers[side].push(bytes);
          assert.equal(error, null, error?.reason);
          for (const frame of frames) {
            let detail = `${nameFrameType(frame.type)} ${frame.streamId}`;
            if (frame.type === FrameType.RST_STREAM)
              detail += ` ${nameErrorCode(decodeRstStream(frame))}`;
            if (frame.type === FrameType.WINDOW_UPDATE) detail += ` +${decodeWindowUpdate(frame)}`;
            if (frame.type === FrameType.GOAWAY) {
              const goaway = decodeGoaway(frame);
              detail += ` last=${goaway.lastStreamId} ${nameErrorCode(goaway.errorCode)} "${Buffer.from(goaway.debugData).toString()}"`;
            }
            const step = this.assemblers[side].accept(frame);
            if (step.kind === 'blockComplete') {
              const decoded = this.decoders[side].decode(step.block.block);
              assert.equal(decoded.kind, 'decoded');
              detail += ` [${decoded.headers.map(([n, v]) => `${n}: ${v}`).join(', ')}]`;
            }
            if (frame.flags & FrameFlag.END_STREAM && frame.type <= FrameType.HEADERS)
              detail += ' END_STREAM';
            this.lines.push(`write ${side}: ${detail}`);
          }
        },
        event: (event, facts) => {
          this.events.push(event);
          this.facts.push(facts);
          this.lines.push(`event ${describeEvent(event)}`);
        },
        end: (side, reason) => this.lines.push(`end ${side}: ${reason}`),
        error: (failure) => {
          this.failures.push(failure);
          this.lines.push(`error ${failure.side} ${failure.code} ${failure.cause}`);
        },
      },
      nextFlowId: () => `f${++this.flows}`,
      now: () => 0,
      maxStreams: 2,
      maxHeaderListBytes,
    });
  }

  feed(side: Peer, ...chunks: Uint8Array[]): string[] {
    const start = this.lines.length;
    for (const chunk of chunks) this.relay.receive(side, chunk);
    return this.lines.slice(start);
  }

  /** Both prefaces, consumed so transcripts start at the first stream. */
  open(): this {
    this.feed('client', CLIENT_START);
    this.feed('upstream', SERVER_START);
    return this;
  }
}

function describeEvent(event: ChannelEvent): string {
  const head = `${event.streamId} ${event.direction} ${event.kind}`;
  switch (event.kind) {
    case 'headersReceived':
      return `${head} ${event.headers.length} fields${event.endStream ? ' endStream' : ''}`;
    case 'informationalReceived':
    case 'trailersReceived':
      return `${head} ${event.headers.map(([n, v]) => `${n}: ${v}`).join(', ')}`;
    case 'dataReceived':
      return `${head} ${Buffer.from(event.data).toString()}`;
    case 'endReceived':
      return head;
    case 'streamReset':
      return `${head} ${event.code} ${event.side}`;
  }
}

const headers = (id: number, block: Buffer, endStream = false) =>
  encodeHeadersFrames(id, block, { endStream });
const data = (id: number, text: string, endStream = false) =>
  encodeDataFrames(id, Buffer.from(text), { endStream });

describe('createRelayConnection: forwarding', () => {
  test('forwards an untouched chunk as one write of the same bytes, then reports it', () => {
    const t = new Transcript();
    const chunk = Buffer.concat([CLIENT_START, headers(1, REQUEST), data(1, 'ping', true)]);
    t.relay.receive('client', chunk);
    assert.equal(t.writes.upstream.length, 1);
    assert.equal(t.writes.upstream[0], chunk, 'the chunk itself, no copy');
    assert.deepEqual(t.lines, [
      'write upstream: SETTINGS 0',
      'write upstream: HEADERS 1 [:method: POST, :scheme: https, :path: /echo.Echo/Say, :authority: example.test, content-type: application/grpc]',
      'write upstream: DATA 1 END_STREAM',
      'event f1 send headersReceived 5 fields',
      'event f1 send dataReceived ping',
      'event f1 send endReceived',
    ]);
    const facts = t.facts[0];
    assert.deepEqual(facts?.headerBlock, REQUEST, 'the raw HPACK block rides on the event');
  });

  test('reports a response with 1xx, data and trailers in order, and closes the stream', () => {
    const t = new Transcript().open();
    t.feed('client', headers(1, REQUEST, true));
    const lines = t.feed(
      'upstream',
      Buffer.concat([
        headers(1, encodeHeaderBlock([[':status', '103']])),
        headers(1, RESPONSE),
        data(1, 'pong'),
        headers(1, TRAILERS, true),
      ]),
    );
    assert.deepEqual(
      lines.filter((line) => line.startsWith('event')),
      [
        'event f1 receive informationalReceived :status: 103',
        'event f1 receive headersReceived 2 fields',
        'event f1 receive dataReceived pong',
        'event f1 receive trailersReceived grpc-status: 0',
      ],
    );
    assert.equal(t.relay.openStreams, 0);
  });

  test('forwards the same bytes and reports the same events for every cut of the input', () => {
    const stream = Buffer.concat([
      CLIENT_START,
      encodeFrame(
        FrameType.HEADERS,
        FrameFlag.PADDED,
        1,
        Buffer.concat([Buffer.from([2]), REQUEST.subarray(0, 20), Buffer.alloc(2)]),
      ),
      encodeFrame(FrameType.CONTINUATION, FrameFlag.END_HEADERS, 1, REQUEST.subarray(20)),
      encodeFrame(FrameType.DATA, FrameFlag.PADDED, 1, Buffer.from([3, 0x61, 0x62, 0, 0, 0])),
      encodeFrame(0xee, 0, 1, Buffer.from('unknown type')),
      data(1, 'cd', true),
    ]);
    const whole = new Transcript();
    whole.feed('client', stream);
    const expected = whole.events.map(describeEvent);
    assert.deepEqual(expected, [
      'f1 send headersReceived 5 fields',
      'f1 send dataReceived ab',
      'f1 send dataReceived cd',
      'f1 send endReceived',
    ]);
    for (let first = 1; first < stream.length; first++) {
      for (const second of [first + 1, first + 9, stream.length]) {
        const t = new Transcript();
        const cuts = [0, first, Math.min(second, stream.length), stream.length];
        for (let i = 0; i + 1 < cuts.length; i++)
          t.relay.receive('client', stream.subarray(cuts[i], cuts[i + 1]));
        assert.deepEqual(Buffer.concat(t.writes.upstream), stream, `cut at ${first}/${second}`);
        assert.deepEqual(t.events.map(describeEvent), expected, `cut at ${first}/${second}`);
      }
    }
  });

  test('holds at most 8 bytes of an incomplete frame header and forwards a started frame as it comes', () => {
    const t = new Transcript().open();
    const frame = data(1, 'hello');
    t.feed('client', headers(1, REQUEST));
    t.relay.receive('client', frame.subarray(0, 5));
    assert.equal(t.writes.upstream.length, 2, 'nothing of a 5-byte header fragment yet');
    t.relay.receive('client', frame.subarray(5, 11));
    assert.deepEqual(Buffer.concat(t.writes.upstream.slice(2)), frame.subarray(0, 11));
    t.relay.receive('client', frame.subarray(11));
    assert.deepEqual(Buffer.concat(t.writes.upstream.slice(2)), frame);
    assert.equal(t.events.at(-1)?.kind, 'dataReceived');
  });

  test('follows SETTINGS_HEADER_TABLE_SIZE: blocks using the acknowledged larger table decode', () => {
    const t = new Transcript();
    t.feed('client', CLIENT_START);
    t.feed('upstream', encodeSettingsFrame([{ id: 1, value: 8192 }]));
    t.feed('client', encodeSettingsAckFrame());
    t.decoders.upstream.setTableSizeLimit(8192);
    const big = encodeIndexingLiteral('x-big', 'v'.repeat(5000));
    const block = Buffer.concat([Buffer.from([0x3f, 0xe1, 0x3f]), REQUEST, big]);
    const lines = t.feed('client', headers(1, block, true));
    assert.deepEqual(t.failures, []);
    assert.match(lines.at(-1) ?? '', /headersReceived 6 fields endStream/);
  });
});

describe('createRelayConnection: commands', () => {
  test('resetStream sends RST_STREAM both ways, drops later frames and credits their DATA', () => {
    const t = new Transcript().open();
    t.feed('client', headers(1, REQUEST), data(1, 'first'));
    const start = t.lines.length;
    t.relay.resetStream(1, 8, 'message too large');
    t.feed('client', data(1, 'late!'), headers(1, TRAILERS, true));
    t.feed('upstream', headers(1, RESPONSE));
    assert.deepEqual(t.lines.slice(start), [
      'write upstream: RST_STREAM 1 CANCEL',
      'write client: RST_STREAM 1 CANCEL',
      'event f1 receive streamReset CANCEL proxy',
      'write client: WINDOW_UPDATE 0 +5',
    ]);
    assert.ok(
      t.relay.isReencoding('client'),
      'a dropped block switches its direction to re-encoding',
    );
    assert.ok(t.relay.isReencoding('upstream'));
  });

  test('re-encodes later blocks after a drop, emptying the receiver table first', () => {
    const t = new Transcript().open();
    const indexed = encodeIndexingLiteral('x-tenant', 'blue');
    t.feed('client', headers(1, Buffer.concat([REQUEST, indexed])));
    t.relay.resetStream(1, 8, 'cancelled');
    t.feed('client', headers(1, Buffer.concat([Buffer.from([0xbe]), TRAILERS]), true));
    const lines = t.feed('client', headers(3, Buffer.concat([REQUEST, Buffer.from([0xbe])]), true));
    assert.deepEqual(lines, [
      'write upstream: HEADERS 3 [:method: POST, :scheme: https, :path: /echo.Echo/Say, :authority: example.test, content-type: application/grpc, x-tenant: blue] END_STREAM',
      'event f2 send headersReceived 6 fields endStream',
    ]);
    const reencoded = t.writes.upstream.at(-1) as Uint8Array;
    assert.equal(reencoded[9], 0x20, 'the block starts with a size update to 0');
  });

  test('refuses a stream beyond maxStreams without forwarding it, and records it', () => {
    const t = new Transcript().open();
    t.feed('client', headers(1, REQUEST), headers(3, REQUEST));
    const lines = t.feed('client', headers(5, REQUEST, true));
    assert.deepEqual(lines, [
      'write client: RST_STREAM 5 REFUSED_STREAM',
      'error client REFUSED_STREAM tooManyStreams',
    ]);
    assert.equal(t.relay.openStreams, 2);
    assert.ok(t.relay.isReencoding('client'));
  });

  test('resets a stream whose over-limit header list cannot be re-encoded, instead of cutting it', () => {
    const t = new Transcript(400).open();
    t.feed('client', headers(1, REQUEST));
    t.relay.resetStream(1, 8, 'cancelled');
    t.feed('client', headers(1, TRAILERS, true));
    const big = encodeHeaderBlock([['x-big', 'v'.repeat(500)]]);
    const lines = t.feed('client', headers(3, Buffer.concat([REQUEST, big]), true));
    assert.deepEqual(lines, [
      'error proxy INTERNAL_ERROR headerListTooLarge',
      'write client: RST_STREAM 3 INTERNAL_ERROR',
    ]);
    assert.deepEqual(t.feed('client', data(3, 'late')), ['write client: WINDOW_UPDATE 0 +4']);
  });

  test('waits for the frame boundary before writing into a stream of forwarded bytes', () => {
    const t = new Transcript().open();
    t.feed('client', headers(1, REQUEST), headers(3, REQUEST));
    const frame = data(3, 'x'.repeat(100));
    t.relay.receive('client', frame.subarray(0, 50));
    const before = t.writes.upstream.length;
    t.relay.resetStream(1, 8, 'cancel');
    assert.equal(t.writes.upstream.length, before, 'RST_STREAM waits: a frame is half written');
    t.relay.receive('client', frame.subarray(50));
    const tail = t.writes.upstream.slice(before);
    assert.deepEqual(Buffer.from(tail[0] as Uint8Array), frame.subarray(50));
    assert.match(
      t.lines.filter((l) => l.startsWith('write upstream')).at(-1) ?? '',
      /RST_STREAM 1 CANCEL/,
    );
  });
});

describe('createRelayConnection: limits and connection errors', () => {
  test('a frame over MAX_FRAME_SIZE: GOAWAY both ways, open streams reset, both ends closed', () => {
    const t = new Transcript().open();
    t.feed('client', headers(1, REQUEST));
    const lines = t.feed('client', encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(16_385)));
    assert.deepEqual(lines, [
      'error client FRAME_SIZE_ERROR frameTooLarge',
      'write client: GOAWAY 0 last=1 FRAME_SIZE_ERROR "grpctap: DATA frame of 16385 bytes exceeds SETTINGS_MAX_FRAME_SIZE 16384 (RFC 9113 §4.2)"',
      'write upstream: GOAWAY 0 last=0 NO_ERROR "grpctap: the client broke the connection"',
      'event f1 send streamReset FRAME_SIZE_ERROR client',
      'end client: DATA frame of 16385 bytes exceeds SETTINGS_MAX_FRAME_SIZE 16384 (RFC 9113 §4.2)',
      'end upstream: the client broke the connection',
    ]);
    assert.deepEqual(t.feed('client', data(1, 'more')), [], 'nothing after the connection failed');
  });

  test('an HPACK index out of range from the upstream is a COMPRESSION_ERROR towards it', () => {
    const t = new Transcript().open();
    t.feed('client', headers(1, REQUEST, true));
    const lines = t.feed('upstream', headers(1, Buffer.from([0xff, 0x7f])));
    assert.equal(lines[0], 'error upstream COMPRESSION_ERROR badIndex');
    assert.match(lines[1] ?? '', /^write upstream: GOAWAY 0 last=0 COMPRESSION_ERROR "grpctap: /);
    assert.match(lines[2] ?? '', /^write client: GOAWAY 0 last=1 NO_ERROR/);
  });

  test('a CONTINUATION flood stops at the block limit with ENHANCE_YOUR_CALM', () => {
    const t = new Transcript().open();
    const flood = [encodeFrame(FrameType.HEADERS, 0, 1, REQUEST)];
    for (let i = 0; i < 100; i++)
      flood.push(encodeFrame(FrameType.CONTINUATION, 0, 1, Buffer.from([0x88])));
    const lines = t.feed('client', Buffer.concat(flood));
    assert.equal(lines[0], 'error client ENHANCE_YOUR_CALM tooManyContinuations');
    assert.match(lines[1] ?? '', /^write client: GOAWAY 0 last=0 ENHANCE_YOUR_CALM/);
  });

  test('an upstream END_STREAM followed at once by RST_STREAM reads as a reset', () => {
    const t = new Transcript().open();
    t.feed('client', headers(1, REQUEST, true));
    t.feed('upstream', headers(1, RESPONSE), data(1, 'pong'));
    const lines = t.feed(
      'upstream',
      Buffer.concat([
        data(1, '', true),
        encodeFrame(FrameType.RST_STREAM, 0, 1, Buffer.from([0, 0, 0, 2])),
      ]),
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('event')),
      ['event f1 receive streamReset INTERNAL_ERROR upstream'],
    );
  });

  test('a response end stands when the reset comes later or carries NO_ERROR', () => {
    const t = new Transcript().open();
    t.feed('client', headers(1, REQUEST));
    t.feed('upstream', headers(1, RESPONSE), data(1, '', true));
    const lines = t.feed(
      'client',
      encodeFrame(FrameType.RST_STREAM, 0, 1, Buffer.from([0, 0, 0, 8])),
    );
    assert.deepEqual(t.events.map(describeEvent).slice(-1), ['f1 receive endReceived']);
    assert.deepEqual(lines, ['write upstream: RST_STREAM 1 CANCEL']);
  });
});
