/**
 * The messages and constants of gRPC's interop test cases (doc/interop-test-descriptions.md in
 * grpc/grpc), read from our fixture `fixtures/interop/test_service.proto`: grpc-js service
 * definitions for clients and servers, protobufjs types to read record payloads, and a
 * FileDescriptorSet of the same file for the Python client.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor.js';
import { fixturePath } from '../helpers/repo-root.js';

export const INTEROP_PROTO = fixturePath('interop', 'test_service.proto');

export const TEST_SERVICE = 'grpc.testing.TestService';
export const UNIMPLEMENTED_SERVICE = 'grpc.testing.UnimplementedService';

/** `large_unary` and friends: request payload and requested response sizes (bytes). */
export const LARGE_REQUEST_BYTES = 271_828;
export const LARGE_RESPONSE_BYTES = 314_159;
/** `client_streaming` and `ping_pong` request payloads, in order; they sum to 74922. */
export const REQUEST_STREAM_BYTES = [27_182, 8, 1_828, 45_904] as const;
/** `server_streaming` and `ping_pong` response payloads, in order. */
export const RESPONSE_STREAM_BYTES = [31_415, 9, 2_653, 58_979] as const;
/** `server_compressed_streaming`: the first response compressed, the second not. */
export const COMPRESSED_STREAM_BYTES = [31_415, 92_653] as const;

export const ECHO_INITIAL_KEY = 'x-grpc-test-echo-initial';
export const ECHO_INITIAL_VALUE = 'test_initial_metadata_value';
export const ECHO_TRAILING_KEY = 'x-grpc-test-echo-trailing-bin';
export const ECHO_TRAILING_VALUE = Buffer.from([0xab, 0xab, 0xab]);

export const STATUS_MESSAGE = 'test status message';
/** `special_status_message`: whitespace, a BMP and a non-BMP character. */
export const SPECIAL_STATUS_MESSAGE =
  '\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \u{1F608}\t\n';

export interface BoolValue {
  value?: boolean;
}
export interface Payload {
  type?: number;
  body?: Buffer;
}
export interface EchoStatus {
  code?: number;
  message?: string;
}
export interface SimpleRequest {
  response_size?: number;
  payload?: Payload | null;
  response_compressed?: BoolValue | null;
  response_status?: EchoStatus | null;
  expect_compressed?: BoolValue | null;
}
export interface SimpleResponse {
  payload?: Payload | null;
}
export interface StreamingInputCallRequest {
  payload?: Payload | null;
  expect_compressed?: BoolValue | null;
}
export interface StreamingInputCallResponse {
  aggregated_payload_size?: number;
}
export interface ResponseParameters {
  size?: number;
  interval_us?: number;
  compressed?: BoolValue | null;
}
export interface StreamingOutputCallRequest {
  response_parameters?: ResponseParameters[];
  payload?: Payload | null;
  response_status?: EchoStatus | null;
}
export interface StreamingOutputCallResponse {
  payload?: Payload | null;
}

/** A payload of `size` zero bytes. */
export function zeros(size: number): Payload {
  return { type: 0, body: Buffer.alloc(size) };
}

const definition = protoLoader.loadSync(INTEROP_PROTO, {
  keepCase: true,
  longs: Number,
  enums: Number,
  defaults: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  grpc: {
    testing: {
      TestService: grpc.ServiceClientConstructor;
      UnimplementedService: grpc.ServiceClientConstructor;
    };
  };
};
export const TestServiceClient = loaded.grpc.testing.TestService;
export const UnimplementedServiceClient = loaded.grpc.testing.UnimplementedService;

const root = new protobuf.Root().loadSync(INTEROP_PROTO, { keepCase: true });

/** protobufjs types by short name (`SimpleRequest`), to read the payloads of records. */
export function messageType(name: string): protobuf.Type {
  return root.lookupType(`grpc.testing.${name}`);
}

/** Writes the fixture as a binary FileDescriptorSet to `dir`; returns its path. */
export async function writeDescriptorSet(dir: string): Promise<string> {
  const path = join(dir, 'test_service.binpb');
  await writeFile(path, descriptor.FileDescriptorSet.encode(root.toDescriptor('proto3')).finish());
  return path;
}
