import type { HeaderList } from '../http2/channel-event.js';
import type { CodecError } from './codec-error.js';
import type { HeaderBlock } from './create-header-block-assembler.js';
import { decodeData, decodeRstStream } from './decode-frame.js';
import {
  encodeGoawayFrame,
  encodeRstStreamFrame,
  encodeWindowUpdateFrame,
} from './encode-frame.js';
import { ErrorCode } from './error-code.js';
import type { Frame, FrameHeader } from './frame.js';
import { CONNECTION_PREFACE, FRAME_HEADER_BYTES, FrameType } from './frame-constants.js';
import { type FrameAction, RelayDirection } from './relay-direction.js';
import {
  createRelayStream,
  endStreamFrom,
  isActive,
  type Peer,
  type RelayStream,
} from './relay-stream.js';
import { encodeHeaderBlockFrames } from './encode-header-block-frames.js';
import { RelayEventQueue } from './relay-event-queue.js';
import {
  DEFAULT_MAX_STREAMS,
  type FrameFacts,
  type RelayConnection,
  type RelayOptions,
  type RelayOutput,
} from './relay-connection.js';
import { RelayWriter } from './relay-writer.js';

export type {
  FrameFacts,
  RelayConnection,
  RelayFailure,
  RelayOptions,
  RelayOutput,
} from './relay-connection.js';
export { DEFAULT_MAX_STREAMS } from './relay-connection.js';

/** Streams the proxy reset, remembered so their late frames are dropped (oldest forgotten). */
const MAX_REMEMBERED_RESETS = 4096;

export function createRelayConnection(options: RelayOptions): RelayConnection {
  return new Relay(options);
}

const other = (side: Peer): Peer => (side === 'client' ? 'upstream' : 'client');

class Relay implements RelayConnection {
  closed = false;
  private readonly output: RelayOutput;
  private readonly now: () => number;
  private readonly maxStreams: number;
  private readonly directions: Record<Peer, RelayDirection>;
  private readonly writer: RelayWriter;
  private readonly streams = new Map<number, RelayStream>();
  private readonly resetIds = new Set<number>();
  private lastClientStream = 0;
  private readonly events: RelayEventQueue;

  constructor(private readonly options: RelayOptions) {
    this.output = options.output;
    this.now = options.now ?? Date.now;
    this.maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    const limits = {
      ...(options.maxContinuations === undefined
        ? {}
        : { maxContinuations: options.maxContinuations }),
      ...(options.maxHeaderBlockBytes === undefined
        ? {}
        : { maxBlockBytes: options.maxHeaderBlockBytes }),
    };
    const listBytes = options.maxHeaderListBytes ?? 64 * 1024;
    this.directions = {
      client: new RelayDirection('client', limits, listBytes),
      upstream: new RelayDirection('upstream', limits, listBytes),
    };
    this.events = new RelayEventQueue(this.output, this.now);
    this.writer = new RelayWriter((side, bytes) => this.output.write(side, bytes));
  }

  get openStreams(): number {
    return this.streams.size;
  }

  isReencoding(sender: Peer): boolean {
    return this.directions[sender].encoder !== null;
  }

  receive(peer: Peer, chunk: Uint8Array): void {
    if (this.closed || chunk.length === 0) return;
    const dir = this.directions[peer];
    const to = other(peer);
    const base = dir.parser.consumed;
    const { frames, error } = dir.parser.push(chunk);
    this.writer.begin(chunk, base, to);
    if (peer === 'client' && base < CONNECTION_PREFACE.length) {
      this.writer.forward(base, Math.min(CONNECTION_PREFACE.length, base + chunk.length), null);
    }
    for (const frame of frames) {
      const continued = dir.partial !== null && dir.partial.offset === frame.offset;
      const action =
        continued && dir.partial !== null ? dir.partial.action : this.decide(dir, frame);
      dir.partial = null;
      if (!this.process(dir, frame, action)) break;
      if (action === 'forward') {
        const end = frame.offset + FRAME_HEADER_BYTES + frame.length;
        this.writer.forward(continued ? base : frame.offset, end, continued ? null : dir.heldHead);
      }
      dir.heldHead = null;
      this.writer.setMidFrame(to, false);
    }
    if (!this.closed && error !== null) this.fail(peer, error);
    if (!this.closed) this.holdPartial(dir, chunk, base, to);
    this.writer.finish();
    this.events.flush();
  }

  /** The incomplete frame at the end of a chunk: forwarded as far as it goes, or held / dropped. */
  private holdPartial(dir: RelayDirection, chunk: Uint8Array, base: number, to: Peer): void {
    const pending = dir.parser.pending;
    const chunkEnd = base + chunk.length;
    if (pending !== null) {
      const continuing = dir.partial !== null;
      dir.partial ??= { offset: pending.offset, action: this.decide(dir, pending) };
      if (dir.partial.action === 'forward') {
        const from = continuing ? base : pending.offset;
        this.writer.forward(from, chunkEnd, continuing ? null : dir.heldHead);
        this.writer.setMidFrame(to, true);
      }
      dir.heldHead = null;
      return;
    }
    const held = dir.parser.bufferedBytes;
    if (held === 0) {
      dir.heldHead = null;
      return;
    }
    const tail = chunk.subarray(Math.max(0, chunk.length - held));
    dir.heldHead =
      held > chunk.length && dir.heldHead !== null
        ? Buffer.concat([dir.heldHead, tail])
        : Uint8Array.prototype.slice.call(tail);
  }

  /** What to do with a frame's bytes, decided from its 9-byte header alone. */
  private decide(dir: RelayDirection, header: FrameHeader): FrameAction {
    const { type, streamId } = header;
    if (type === FrameType.CONTINUATION) return dir.blockAction;
    const reset = this.resetIds.has(streamId);
    if (type === FrameType.HEADERS || type === FrameType.PUSH_PROMISE) {
      let action: FrameAction = dir.encoder !== null ? 'reencode' : 'forward';
      if (reset) action = 'drop';
      else if (
        dir.sender === 'client' &&
        type === FrameType.HEADERS &&
        streamId > this.lastClientStream &&
        this.streams.size >= this.maxStreams
      ) {
        action = 'drop';
      }
      dir.blockAction = action;
      return action;
    }
    if (streamId !== 0 && reset) return 'drop';
    return 'forward';
  }

  /** Observes one frame after its bytes were handled; false once the connection failed. */
  private process(dir: RelayDirection, frame: Frame, action: FrameAction): boolean {
    const step = dir.assembler.accept(frame);
    if (step.kind === 'error') {
      this.fail(dir.sender, step.error);
      return false;
    }
    if (step.kind === 'blockContinues') return true;
    if (step.kind === 'blockComplete') return this.processBlock(dir, step.block, action);
    switch (frame.type) {
      case FrameType.DATA:
        this.processData(dir, frame, action);
        return true;
      case FrameType.RST_STREAM:
        if (action === 'forward') this.processReset(dir.sender, frame);
        return true;
      case FrameType.SETTINGS:
        dir.followSettings(frame, this.directions[other(dir.sender)]);
        return true;
      default:
        return true;
    }
  }

  private processBlock(dir: RelayDirection, block: HeaderBlock, action: FrameAction): boolean {
    const decoded = dir.decoder.decode(block.block);
    if (decoded.kind === 'failed') {
      this.fail(dir.sender, decoded.error);
      return false;
    }
    const to = other(dir.sender);
    if (action === 'drop') dir.startReencoding();
    if (action === 'reencode' && decoded.tooLarge) {
      this.refuseUnencodable(dir.sender, block.streamId);
      return true;
    }
    if (action === 'reencode' && dir.encoder !== null) {
      const encoded = dir.encoder.encode(decoded.headers, decoded.representations);
      this.writer.inject(to, encodeHeaderBlockFrames(block, encoded, dir.receiverMaxFrameSize));
    }
    if (block.type !== FrameType.HEADERS) return true;
    const facts: FrameFacts = {
      frameType: block.type,
      flags: block.flags,
      padLength: block.padLength,
      headerBlock: block.block,
      continuations: block.continuations,
      truncated: decoded.tooLarge,
    };
    if (dir.sender === 'client') this.clientBlock(block, decoded.headers, facts, action);
    else this.upstreamBlock(block, decoded.headers, facts, action);
    return true;
  }

  private clientBlock(
    block: HeaderBlock,
    headers: HeaderList,
    facts: FrameFacts,
    action: FrameAction,
  ): void {
    const id = block.streamId;
    let stream = this.streams.get(id);
    if (stream === undefined && id > this.lastClientStream && id % 2 === 1) {
      this.lastClientStream = id;
      if (action === 'drop') {
        this.writer.inject('client', encodeRstStreamFrame(id, ErrorCode.REFUSED_STREAM));
        this.rememberReset(id);
        this.output.error({
          code: 'REFUSED_STREAM',
          cause: 'tooManyStreams',
          reason: `stream ${id} refused: ${this.maxStreams} streams already open on this connection`,
          side: 'client',
          streamId: id,
        });
        return;
      }
      stream = createRelayStream(id, this.options.nextFlowId());
      this.streams.set(id, stream);
      stream.headersSeen.client = true;
      this.events.add(
        stream,
        'send',
        { kind: 'headersReceived', headers, endStream: block.endStream },
        facts,
      );
    } else if (stream === undefined || action === 'drop') {
      return;
    } else {
      this.events.add(stream, 'send', { kind: 'trailersReceived', headers }, facts);
    }
    if (block.endStream) this.ended(stream, 'client');
  }

  private upstreamBlock(
    block: HeaderBlock,
    headers: HeaderList,
    facts: FrameFacts,
    action: FrameAction,
  ): void {
    const stream = this.streams.get(block.streamId);
    if (stream === undefined || action === 'drop') return;
    const status = headers.find(([name]) => name === ':status')?.[1] ?? '';
    if (!stream.headersSeen.upstream && /^1\d\d$/.test(status)) {
      this.events.add(stream, 'receive', { kind: 'informationalReceived', headers }, facts);
      return;
    }
    if (!stream.headersSeen.upstream) {
      stream.headersSeen.upstream = true;
      this.events.add(
        stream,
        'receive',
        { kind: 'headersReceived', headers, endStream: block.endStream },
        facts,
      );
    } else {
      this.events.add(stream, 'receive', { kind: 'trailersReceived', headers }, facts);
    }
    if (block.endStream) this.ended(stream, 'upstream');
  }

  private processData(dir: RelayDirection, frame: Frame, action: FrameAction): void {
    if (action === 'drop') {
      if (frame.length > 0)
        this.writer.inject(dir.sender, encodeWindowUpdateFrame(0, frame.length));
      return;
    }
    const stream = this.streams.get(frame.streamId);
    if (stream === undefined) return;
    const { data, padLength, endStream } = decodeData(frame);
    const direction = dir.sender === 'client' ? 'send' : 'receive';
    const facts: FrameFacts = {
      frameType: FrameType.DATA,
      flags: frame.flags,
      padLength,
      headerBlock: null,
      continuations: 0,
      truncated: false,
    };
    if (data.length > 0) this.events.add(stream, direction, { kind: 'dataReceived', data }, facts);
    if (!endStream) return;
    if (dir.sender === 'client') this.events.add(stream, 'send', { kind: 'endReceived' }, facts);
    else this.events.deferResponseEnd(stream);
    this.ended(stream, dir.sender);
  }

  /**
   * A peer's RST_STREAM. An upstream's END_STREAM followed in the same read by RST_STREAM with an
   * error code reads as a reset; after the response ended (or with NO_ERROR, RFC 9113 §8.1) the
   * stream just closes and its response end stands.
   */
  private processReset(sender: Peer, frame: Frame): void {
    const id = frame.streamId;
    const code = decodeRstStream(frame);
    const pending = this.events.hasResponseEnd(id);
    if (pending && code !== ErrorCode.NO_ERROR) {
      const stream = this.events.takeResponseEnd(id) as RelayStream;
      this.streams.delete(id);
      this.events.addReset(
        stream,
        sender,
        code,
        `${sender} reset the stream right after END_STREAM`,
      );
      return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    this.streams.delete(id);
    const responseEnded = stream.state.name === 'halfClosedUpstream';
    stream.state = { name: 'closed', by: 'reset', side: sender };
    if (pending || responseEnded) return;
    this.events.addReset(stream, sender, code, `${sender} reset the stream`);
  }

  private ended(stream: RelayStream, peer: Peer): void {
    stream.state = endStreamFrom(stream.state, peer);
    if (!isActive(stream.state)) this.streams.delete(stream.id);
  }

  /**
   * A block over the decoded header-list limit in a re-encoded direction: the proxy holds only
   * the fields that fit, so it cannot send the block on faithfully and resets the stream instead
   * (INTERNAL_ERROR: the limit is the proxy's), recorded as `headerListTooLarge`.
   */
  private refuseUnencodable(sender: Peer, streamId: number): void {
    const reason = `header list of stream ${streamId} is over the proxy's limit and cannot be re-encoded`;
    this.output.error({
      code: 'INTERNAL_ERROR',
      cause: 'headerListTooLarge',
      reason,
      side: 'proxy',
      streamId,
    });
    if (this.streams.has(streamId)) {
      this.resetStream(streamId, ErrorCode.INTERNAL_ERROR, reason);
      return;
    }
    if (sender === 'client' && streamId > this.lastClientStream) this.lastClientStream = streamId;
    this.rememberReset(streamId);
    this.writer.inject(sender, encodeRstStreamFrame(streamId, ErrorCode.INTERNAL_ERROR));
  }

  resetStream(streamId: number, code: number, reason: string): void {
    const stream = this.streams.get(streamId);
    if (this.closed || stream === undefined) return;
    this.streams.delete(streamId);
    stream.state = { name: 'closed', by: 'reset', side: 'proxy' };
    stream.resetByProxy = true;
    this.rememberReset(streamId);
    const rst = encodeRstStreamFrame(streamId, code);
    this.writer.inject('upstream', rst);
    this.writer.inject('client', rst);
    this.events.addReset(stream, 'proxy', code, reason);
    this.events.flush();
  }

  close(side: Peer): void {
    if (this.closed) return;
    this.closed = true;
    const code = side === 'client' ? 'CLIENT_CONNECTION_CLOSED' : 'UPSTREAM_CONNECTION_CLOSED';
    for (const stream of this.streams.values()) {
      this.events.add(
        stream,
        side === 'client' ? 'send' : 'receive',
        {
          kind: 'streamReset',
          code,
          http2Code: null,
          reason: `the ${side} connection closed with the stream open`,
          side: side,
        },
        null,
      );
    }
    this.streams.clear();
    this.events.flush();
    this.output.end(other(side), `${side} closed the connection`);
  }

  /** A connection error from `peer`: GOAWAY to both sides, open streams reset, both ends closed. */
  private fail(peer: Peer, error: CodecError): void {
    this.output.error({
      code: error.code,
      cause: error.cause,
      reason: error.reason,
      side: peer,
      streamId: error.streamId,
    });
    const lastClientStream = this.lastClientStream;
    const goaway = (side: Peer, code: number, debug: string) => {
      if (this.writer.isMidFrame(side)) return;
      this.writer.inject(
        side,
        encodeGoawayFrame(side === 'client' ? lastClientStream : 0, code, debug),
      );
    };
    goaway(peer, error.http2Code, `grpctap: ${error.reason}`);
    goaway(other(peer), ErrorCode.NO_ERROR, `grpctap: the ${peer} broke the connection`);
    for (const stream of this.streams.values()) {
      this.events.add(
        stream,
        peer === 'client' ? 'send' : 'receive',
        {
          kind: 'streamReset',
          code: error.code,
          http2Code: error.http2Code,
          reason: error.reason,
          side: peer,
        },
        null,
      );
    }
    this.streams.clear();
    this.closed = true;
    this.writer.finish();
    this.events.flush();
    this.output.end(peer, error.reason);
    this.output.end(other(peer), `the ${peer} broke the connection`);
  }

  private rememberReset(streamId: number): void {
    this.resetIds.add(streamId);
    if (this.resetIds.size > MAX_REMEMBERED_RESETS) {
      const oldest = this.resetIds.values().next().value as number;
      this.resetIds.delete(oldest);
    }
  }
}
