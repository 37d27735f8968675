/**
 * Shared set-up of the gRPC end-to-end tests: an Echo server with its own PKI, the real proxy CLI,
 * and grpc-js clients that reach the server through the proxy with CONNECT (`grpc_proxy`), plus
 * helpers to find one call's records on the proxy's stdout.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import {
  ECHO_PROTO,
  EchoClient,
  type EchoServer,
  startEchoServer,
} from '../helpers/echo-server.js';
import { assertValidRecord } from '../helpers/record-schema.js';
import { type ProxyProcess, type StartProxyOptions, startProxy } from '../helpers/start-proxy.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';

export type JsonRecord = Record<string, unknown>;

/** Metadata header naming each call, so a test finds its own flow among the records. */
export const CALL_ID_HEADER = 'x-call-id';

export interface GrpcRig {
  readonly pki: TestPki;
  readonly server: EchoServer;
  readonly proxy: ProxyProcess;
  /** A client through the proxy with the default options. */
  readonly client: grpc.Client;
  /**
   * Another client through the same proxy (own channel), closed by `close`; `port` picks another
   * upstream on 127.0.0.1 serving the rig's `localhost` certificate (default: the Echo server).
   */
  createClient(options?: grpc.ClientOptions, port?: number): grpc.Client;
  /** Closes clients, server and proxy; resolves with the proxy's exit code. */
  close(): Promise<number | null>;
}

export interface GrpcRigOptions {
  readonly proxy?: StartProxyOptions;
  readonly server?: grpc.ServerOptions;
  readonly client?: grpc.ClientOptions;
}

/** Starts an Echo server over TLS, the proxy trusting its CA, and a client through the proxy. */
export async function startGrpcRig(options: GrpcRigOptions = {}): Promise<GrpcRig> {
  const pki = await createTestPki();
  const server = await startEchoServer(pki.localhost, options.server);
  const proxyArgs = ['--upstream-ca', pki.caPath, ...(options.proxy?.args ?? [])];
  const proxy = await startProxy({ ...options.proxy, args: proxyArgs });
  const proxyCa = await readFile(proxy.caPath);
  const clients: grpc.Client[] = [];
  const createClient = (
    clientOptions: grpc.ClientOptions = {},
    port = server.port,
  ): grpc.Client => {
    // grpc-js reads `grpc_proxy` when a channel is created; each rig sets its own proxy first.
    process.env.grpc_proxy = proxy.url;
    const client = new EchoClient(
      `localhost:${port}`,
      grpc.credentials.createSsl(proxyCa),
      clientOptions,
    );
    clients.push(client);
    return client;
  };
  const client = createClient(options.client);
  return {
    pki,
    server,
    proxy,
    client,
    createClient,
    async close() {
      for (const each of clients) each.close();
      await server.close();
      const code = await proxy.stop();
      await pki.remove();
      return code;
    },
  };
}

let nextCallId = 0;

/** Fresh metadata carrying a unique `x-call-id` (and any extra pairs); returns both. */
export function createCallMetadata(extra: Readonly<Record<string, string>> = {}): {
  readonly id: string;
  readonly metadata: grpc.Metadata;
} {
  const id = `call-${process.pid}-${nextCallId++}`;
  const metadata = new grpc.Metadata();
  metadata.set(CALL_ID_HEADER, id);
  for (const [name, value] of Object.entries(extra)) metadata.set(name, value);
  return { id, metadata };
}

/** True when a `[name, value][]` list holds the pair. */
export function hasPair(list: unknown, name: string, value: string): boolean {
  return (
    Array.isArray(list) &&
    list.some((pair) => Array.isArray(pair) && pair[0] === name && pair[1] === value)
  );
}

/** True when a `[name, value][]` list has an entry called `name`. */
export function hasName(list: unknown, name: string): boolean {
  return Array.isArray(list) && list.some((pair) => Array.isArray(pair) && pair[0] === name);
}

/** Resolves with the `send` start record of the call tagged `callId`. */
export function waitForCallStart(
  proxy: ProxyProcess,
  callId: string,
  timeoutMs = 10_000,
): Promise<JsonRecord> {
  return proxy.waitForRecord(
    (record) =>
      record.event === 'start' &&
      record.direction === 'send' &&
      hasPair(record.metadata, CALL_ID_HEADER, callId),
    timeoutMs,
  );
}

/** The records of one flow, in stdout order. */
export function recordsOfFlow(records: readonly JsonRecord[], flowId: unknown): JsonRecord[] {
  return records.filter((record) => record.flowId === flowId);
}

/**
 * Waits for the `flow` record of the call tagged `callId`, then returns all its records in
 * stdout order, each checked against the published schema.
 */
export async function waitForCallRecords(
  proxy: ProxyProcess,
  callId: string,
  timeoutMs = 10_000,
): Promise<JsonRecord[]> {
  const start = await waitForCallStart(proxy, callId, timeoutMs);
  await proxy.waitForRecord(
    (record) => record.event === 'flow' && record.flowId === start.flowId,
    timeoutMs,
  );
  const records = recordsOfFlow(proxy.records(), start.flowId);
  for (const record of records) assertValidRecord(record);
  return records;
}

/**
 * Checks the shape every finished flow has: sequences 0..n-1 in stdout order across both
 * directions, exactly one `end`, and the `flow` summary last.
 */
export function assertWellFormedFlow(records: readonly JsonRecord[]): void {
  const sequenced = records.slice(0, -1);
  assert.deepEqual(
    sequenced.map((record) => record.sequence),
    sequenced.map((_record, index) => index),
    'sequence numbers run 0..n-1 in the order the records were written',
  );
  assert.equal(records.at(-1)?.event, 'flow', 'the flow record comes last');
  assert.equal(records.filter((record) => record.event === 'end').length, 1, 'exactly one end');
  assert.equal(records.at(-2)?.event, 'end', 'the end record comes right before the flow');
}

/** The records of a flow with the given event (and direction, when given). */
export function pick(
  records: readonly JsonRecord[],
  event: string,
  direction?: 'send' | 'receive',
): JsonRecord[] {
  return records.filter(
    (record) =>
      record.event === event && (direction === undefined || record.direction === direction),
  );
}

/** The single record of a flow with the given event and direction; fails when not exactly one. */
export function only(
  records: readonly JsonRecord[],
  event: string,
  direction?: 'send' | 'receive',
): JsonRecord {
  const found = pick(records, event, direction);
  assert.equal(found.length, 1, `exactly one ${event} ${direction ?? ''} record`);
  return found[0] as JsonRecord;
}

/** Base64 of the decoded field, as a Buffer. */
export function fromBase64(value: unknown): Buffer {
  assert.equal(typeof value, 'string');
  return Buffer.from(value as string, 'base64');
}

/** The 5-byte gRPC message prefix plus the payload (uncompressed). */
export function frameMessage(payload: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
}

const echoRoot = protobuf.loadSync(ECHO_PROTO);

/** protobufjs types of the Echo messages, to build or read the exact bytes on the wire. */
export const echoTypes = {
  request: echoRoot.lookupType('grpctap.test.EchoRequest'),
  streamRequest: echoRoot.lookupType('grpctap.test.StreamRequest'),
  reply: echoRoot.lookupType('grpctap.test.EchoReply'),
};

/** Serializes a message the way grpc-js (through proto-loader) does. */
export function encodeMessage(type: protobuf.Type, value: Record<string, unknown>): Uint8Array {
  return type.encode(type.fromObject(value)).finish();
}

/** Reads a payload as a plain object (defaults filled in, 64-bit ints as strings). */
export function decodeMessage(type: protobuf.Type, payload: Uint8Array): Record<string, unknown> {
  return type.toObject(type.decode(payload), { longs: String, defaults: true });
}

/** grpc-js generated clients have no static method types. */
type ClientMethod = (...args: unknown[]) => unknown;

/** A method of a generated grpc-js client by name (e.g. `ServerStream`), bound to it. */
export function getMethod(client: grpc.Client, name: string): ClientMethod {
  const fn = (client as unknown as Record<string, ClientMethod | undefined>)[name];
  if (!fn) throw new Error(`no method ${name}`);
  return fn.bind(client);
}
