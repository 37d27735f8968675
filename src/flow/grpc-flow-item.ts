import type { GrpcEnvelope } from '../grpc/grpc-envelope.js';
import type { FlowCall } from './flow-call.js';
import type { DecodedView, PayloadDecoder } from './payload-decoder.js';

/** Not computed yet (null is a computed "no view"). */
const UNDECODED = undefined;

/**
 * One envelope on its way to the sinks, with its call's identity. The decoded view is computed the
 * first time a sink asks for it and kept for the others, so a message is decoded at most once and
 * never when no sink reads it.
 *
 * A class, not an object literal with closures or getters: one of these is made per envelope, and
 * per-object closures and accessor pairs were a measurable share of the observing path's garbage.
 */
export class GrpcFlowItem {
  readonly kind = 'grpc' as const;
  /**
   * The NDJSON line of this envelope, encoded by the first sink that writes it (see
   * `encodeGrpcItemLine` in `src/output`) and shared by the others; null until then.
   */
  recordLine: Uint8Array | null = null;
  private view: DecodedView | null | undefined = UNDECODED;

  constructor(
    readonly call: FlowCall,
    readonly envelope: GrpcEnvelope,
    private readonly decoder: PayloadDecoder | null,
  ) {}

  /**
   * The readable view: of a protobuf `data` message, or of an `end`'s status details (a
   * `google.rpc.Status` whatever the call's codec). Null for everything else, and without a
   * decoder.
   */
  decodedView(): DecodedView | null {
    if (this.view !== UNDECODED) return this.view;
    const { decoder, envelope, call } = this;
    let view: DecodedView | null = null;
    if (decoder !== null) {
      if (envelope.kind === 'data') {
        if (envelope.payload !== null && call.protobuf) {
          view = decoder.decodeMessage(
            call.path,
            call.authority,
            envelope.direction,
            envelope.payload,
          );
        }
      } else if (envelope.kind === 'end' && envelope.statusDetails !== null) {
        view = decoder.decodeStatusDetails(envelope.statusDetails, call.path, call.authority);
      }
    }
    this.view = view;
    return view;
  }
}
