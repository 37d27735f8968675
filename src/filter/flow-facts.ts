import type { HeaderList } from '../http2/channel-event.js';

/**
 * What a filter can ask of one flow, as the live tail knows it. While a flow is running
 * (`final` false) only the facts fixed by its request are known; the rest are unknown (see
 * `evaluateFilter`). `msg` and `h.NAME` may still be found true early.
 */
export interface FlowFacts {
  readonly final: boolean;
  readonly protocol: 'grpc' | 'http';
  readonly state: 'active' | 'complete' | 'error';
  readonly flowType: string | null;
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly status: number | null;
  readonly durationMs: number | null;
  /** Bytes of both directions (gRPC: wire bytes of the messages; HTTP: body bytes). */
  readonly size: number;
  /** Messages of both directions. */
  readonly messages: number;
  /** Start, ms since the epoch. */
  readonly time: number;
  readonly clientAddress: string | null;
  readonly clientPort: number | null;
  readonly origin: string;
  /** Request headers, response headers and trailers (names in any case). */
  readonly headers: HeaderList;
  /** `messageSearchText` of each message (null entries: nothing to search). */
  readonly messageTexts: readonly (string | null)[];
}
