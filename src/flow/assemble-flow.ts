import type { GrpcEnvelope } from '../grpc/grpc-envelope.js';
import type { ConnectionInfo, UpstreamInfo } from '../http2/channel-event.js';
import { createFlowCall, type MutableFlowCall } from './flow-call.js';
import { GrpcFlowItem } from './grpc-flow-item.js';
import type { PayloadDecoder } from './payload-decoder.js';

/** Turns one gRPC stream's envelopes into pipeline items carrying the call's identity. */
export interface FlowAssembler {
  assemble(envelope: GrpcEnvelope): GrpcFlowItem;
  /** The upstream connection the stream was sent on, once known. */
  setUpstream(upstream: UpstreamInfo): void;
}

/**
 * The flow assembler of one gRPC stream (pure). The identity is taken from the request's `start`
 * envelope, which the gRPC layer always produces first; an envelope before it (which the layer
 * never makes) gets an identity made of its flow id alone.
 */
export function createFlowAssembler(
  decoder: PayloadDecoder | null,
  connection: ConnectionInfo,
  target: UpstreamInfo | null,
): FlowAssembler {
  let call: MutableFlowCall | null = null;
  let upstream = target;
  return {
    assemble(envelope) {
      if (call === null) {
        call =
          envelope.kind === 'start' && envelope.direction === 'send'
            ? createFlowCall(envelope, connection, upstream)
            : {
                flowId: envelope.flowId,
                service: '',
                method: '',
                path: '',
                authority: '',
                name: '?',
                contentType: '',
                protobuf: false,
                connection,
                upstream,
              };
      }
      return new GrpcFlowItem(call, envelope, decoder);
    },
    setUpstream(info) {
      upstream = info;
      if (call !== null) call.upstream = info;
    },
  };
}
