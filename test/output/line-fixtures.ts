/** Envelopes of one unary call, for the text line tests. */
import type { GrpcData, GrpcEnd, GrpcFlow, GrpcStart } from '../../src/grpc/grpc-envelope.js';

export const TIME = Date.UTC(2024, 4, 1, 12, 4, 5, 123);
export const FLOW_ID = '7f3a9c1e-55aa-4bb0';

export const start: GrpcStart = {
  kind: 'start',
  flowId: FLOW_ID,
  time: TIME,
  sequence: 0,
  direction: 'send',
  service: 'helloworld.Greeter',
  method: 'SayHello',
  path: '/helloworld.Greeter/SayHello',
  authority: 'localhost:50051',
  contentType: 'application/grpc',
  encoding: 'gzip',
  acceptEncoding: null,
  timeout: '1S',
  metadata: [['x-user', 'ada']],
  headers: [],
};

const payload = new Uint8Array([0x0a, 0x05, ...new TextEncoder().encode('world')]);
export const message: GrpcData = {
  kind: 'data',
  flowId: FLOW_ID,
  time: TIME + 2,
  sequence: 1,
  direction: 'send',
  compressed: false,
  wireLength: 7,
  length: 7,
  payload,
  raw: new Uint8Array(12),
  anomalies: [],
};

export const ok: GrpcEnd = {
  kind: 'end',
  flowId: FLOW_ID,
  time: TIME + 7,
  sequence: 3,
  direction: 'receive',
  status: 0,
  statusName: 'OK',
  message: '',
  statusDetails: null,
  trailers: [],
  synthetic: false,
  raw: [['grpc-status', '0']],
  error: null,
};

export const flow: GrpcFlow = {
  kind: 'flow',
  flowId: FLOW_ID,
  time: TIME + 7,
  flowType: 'unary',
  state: 'complete',
  service: 'helloworld.Greeter',
  method: 'SayHello',
  status: 0,
  requestMessages: 1,
  responseMessages: 1,
  durationMs: 7,
};
