import type { ChannelEvent, Direction, Side } from '../http2/channel-event.js';
import { nameErrorCode } from './error-code.js';
import type { FrameFacts, RelayOutput } from './relay-connection.js';
import type { RelayStream } from './relay-stream.js';

/** A channel event without the fields the queue fills in. */
export type EventBody = ChannelEvent extends infer E
  ? E extends ChannelEvent
    ? Omit<E, 'streamId' | 'direction' | 'time'>
    : never
  : never;

/**
 * The events of one input, held until its bytes were written (observers never precede
 * forwarding). A response's END_STREAM is deferred to the end of the input, so an RST_STREAM that
 * follows it at once can turn it into a reset (docs/channel.md).
 */
export class RelayEventQueue {
  private events: [ChannelEvent, FrameFacts | null][] = [];
  private pendingEnds: RelayStream[] = [];

  constructor(
    private readonly output: RelayOutput,
    private readonly now: () => number,
  ) {}

  add(stream: RelayStream, direction: Direction, body: EventBody, facts: FrameFacts | null): void {
    this.events.push([{ ...body, streamId: stream.flowId, direction, time: this.now() }, facts]);
  }

  /** A `streamReset` with an HTTP/2 code; `direction` is `send` when the client started it. */
  addReset(stream: RelayStream, side: Side, code: number, reason: string): void {
    this.add(
      stream,
      side === 'client' ? 'send' : 'receive',
      { kind: 'streamReset', code: nameErrorCode(code), http2Code: code, reason, side },
      null,
    );
  }

  deferResponseEnd(stream: RelayStream): void {
    this.pendingEnds.push(stream);
  }

  /** The stream whose response end is deferred in this input, taken out of the queue. */
  takeResponseEnd(streamId: number): RelayStream | undefined {
    const at = this.pendingEnds.findIndex((stream) => stream.id === streamId);
    return at < 0 ? undefined : this.pendingEnds.splice(at, 1)[0];
  }

  hasResponseEnd(streamId: number): boolean {
    return this.pendingEnds.some((stream) => stream.id === streamId);
  }

  /** Emits what the input produced; the deferred response ends come last. */
  flush(): void {
    for (const stream of this.pendingEnds)
      this.add(stream, 'receive', { kind: 'endReceived' }, null);
    this.pendingEnds = [];
    if (this.events.length === 0) return;
    const events = this.events;
    this.events = [];
    for (const [event, facts] of events) this.output.event(event, facts);
  }
}
