/**
 * Shared pieces of the hostile-input and fault tests: process measurements from `/proc`, CONNECT
 * tunnels, raw HTTP/2 clients, gRPC framing and record-file checks. The proxy under test and the
 * healthy call next to each case are in `hostile-rig.ts`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import {
  encodeHeaderBlock,
  openRawH2,
  type RawH2Connection,
  type RawH2Options,
  type RawHeader,
} from '../helpers/raw-h2.js';
import { type JsonRecord, readRecordFile } from '../helpers/record-file.js';

export { type JsonRecord, readRecordFile } from '../helpers/record-file.js';

/** Resident set size of a process in MiB (VmRSS). */
export function readRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}

/** Open file descriptors of a process (sockets included). */
export function countOpenFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Resolves with `true` when the socket closes within `timeoutMs`, else `false`. Reads (and drops)
 * whatever arrives meanwhile, since a paused socket never sees the peer's FIN.
 */
export function closesWithin(socket: Duplex, timeoutMs: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  if (socket.listenerCount('data') === 0) socket.resume();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Connects to the proxy and sends `CONNECT authority`; resolves with the socket and the answer. */
export async function openTunnel(
  proxyPort: number,
  authority: string,
  extraHeaders: readonly string[] = [],
): Promise<{ socket: net.Socket; head: string }> {
  const socket = net.connect(proxyPort, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const lines = [`CONNECT ${authority} HTTP/1.1`, `host: ${authority}`, ...extraHeaders];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await new Promise<string>((resolve) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(text);
    };
    const onClose = (): void => resolve(text);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
  return { socket, head };
}

/** A raw HTTP/2 client straight to the proxy (h2c with prior knowledge). */
export async function connectRawH2c(
  proxyPort: number,
  options: RawH2Options = {},
): Promise<RawH2Connection> {
  const socket = net.connect(proxyPort, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return openRawH2(socket, options);
}

/** A raw HTTP/2 client through a CONNECT tunnel and the proxy's TLS (ALPN `h2`). */
export async function connectRawH2Tls(
  proxyPort: number,
  authority: string,
  proxyCaPem: string,
  options: RawH2Options = {},
): Promise<RawH2Connection> {
  const { socket, head } = await openTunnel(proxyPort, authority);
  assert.match(head, /^HTTP\/1\.1 200/);
  return startRawH2Tls(socket, authority.replace(/:\d+$/, ''), proxyCaPem, options);
}

/**
 * A raw HTTP/2 client over TLS (ALPN `h2`, SNI `servername`) on an open socket, or on a new TCP
 * connection to `127.0.0.1:socket` when given a port (the proxy in `--reverse` mode).
 */
export async function startRawH2Tls(
  socket: net.Socket | number,
  servername: string,
  caPem: string,
  options: RawH2Options = {},
): Promise<RawH2Connection> {
  const secure = tls.connect({
    ...(typeof socket === 'number' ? { host: '127.0.0.1', port: socket } : { socket }),
    servername,
    ca: caPem,
    ALPNProtocols: ['h2'],
  });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  assert.equal(secure.alpnProtocol, 'h2');
  return openRawH2(secure, options);
}

/** Request headers of a gRPC call for the raw writer. */
export function grpcRequestHeaders(
  path: string | Uint8Array,
  authority: string,
  extra: readonly RawHeader[] = [],
): Buffer {
  return encodeHeaderBlock([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', authority],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ...extra,
  ]);
}

/** One gRPC Length-Prefixed-Message: flag byte, 4-byte length, payload. */
export function grpcMessage(payload: Uint8Array, flags = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = flags;
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
}

function recordKey(record: JsonRecord): string {
  return `${String(record.flowId)}|${String(record.event)}|${String(record.sequence ?? '')}`;
}

/** Asserts every record in `earlier` is still in the record file (by flow, event and sequence). */
export function assertRecordsKept(earlier: readonly JsonRecord[], path: string): void {
  const now = new Set(readRecordFile(path).map(recordKey));
  const missing = earlier.filter((record) => !now.has(recordKey(record)));
  assert.deepEqual(missing, [], 'records written before the fault are still in --record');
}

/** The records of one flow, found by a metadata pair on its `send` start. */
export function recordsOfCall(records: readonly JsonRecord[], name: string, value: string) {
  const start = records.find(
    (record) =>
      record.event === 'start' &&
      record.direction === 'send' &&
      Array.isArray(record.metadata) &&
      (record.metadata as [string, string][]).some(([n, v]) => n === name && v === value),
  );
  return start ? records.filter((record) => record.flowId === start.flowId) : [];
}
