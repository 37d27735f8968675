import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createHttp1Forwarder,
  type Http1ExchangeSummary,
  type Http1Forwarder,
  type Http1ForwarderOptions,
  type UpstreamTarget,
} from '../../src/http1/http1-forwarder.js';

/** Listens on 127.0.0.1, port 0, and returns the port. */
export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

export interface TestProxy {
  readonly port: number;
  readonly forwarder: Http1Forwarder;
  readonly logs: string[];
  readonly summaries: Http1ExchangeSummary[];
  /** Resolves once `count` summaries have been reported. */
  summariesAfter(count: number): Promise<Http1ExchangeSummary[]>;
  close(): Promise<void>;
}

/**
 * A front server that attaches every accepted socket to a forwarder with `target` (reverse mode)
 * or null (forward-proxy mode), the way the listener does.
 */
export async function startProxy(
  target: UpstreamTarget | null,
  overrides: Partial<Http1ForwarderOptions> = {},
): Promise<TestProxy> {
  const logs: string[] = [];
  const summaries: Http1ExchangeSummary[] = [];
  const waiters: (() => void)[] = [];
  const forwarder = createHttp1Forwarder({
    upstreamTls: { rejectUnauthorized: true },
    log: (line) => logs.push(line),
    onExchange: (summary) => {
      summaries.push(summary);
      for (const wake of waiters.splice(0)) wake();
    },
    ...overrides,
  });
  const front = net.createServer((socket) => forwarder.attach(socket, target));
  const port = await listen(front);
  const summariesAfter = async (count: number): Promise<Http1ExchangeSummary[]> => {
    while (summaries.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return summaries;
  };
  return {
    port,
    forwarder,
    logs,
    summaries,
    summariesAfter,
    async close() {
      await new Promise<void>((resolve) => {
        front.close(() => resolve());
        void forwarder.close();
      });
    },
  };
}

export interface TestUpstream {
  readonly port: number;
  readonly server: http.Server;
  readonly target: UpstreamTarget;
  close(): Promise<void>;
}

/** A real Node HTTP server on 127.0.0.1 that `close()` shuts down with its keep-alive sockets. */
export async function startUpstream(
  handler: http.RequestListener,
  server: http.Server = http.createServer(),
): Promise<TestUpstream> {
  server.on('request', handler);
  const port = await listen(server);
  return {
    port,
    server,
    target: { host: '127.0.0.1', port, tls: false },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A raw TCP client that records every byte it receives, for byte-exact assertions. */
export interface RawClient {
  readonly socket: net.Socket;
  /** Everything received so far, as latin1. */
  received(): string;
  /** Resolves once the received bytes contain `text` (`count` times). */
  waitFor(text: string, count?: number): Promise<string>;
  /** Resolves with everything received once the server closes the connection. */
  closed(): Promise<string>;
}

export async function connectRaw(port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let data = '';
  const listeners = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    data += chunk.toString('latin1');
    for (const listener of listeners) listener();
  });
  socket.on('error', () => {});
  const ended = new Promise<string>((resolve) => socket.once('close', () => resolve(data)));
  return {
    socket,
    received: () => data,
    waitFor: (text, count = 1) =>
      new Promise((resolve, reject) => {
        const seen = (): boolean => data.split(text).length > count;
        const check = (): void => {
          if (!seen()) return;
          listeners.delete(check);
          resolve(data);
        };
        listeners.add(check);
        socket.once('close', () => {
          if (!seen())
            reject(new Error(`closed before ${JSON.stringify(text)}; got ${JSON.stringify(data)}`));
        });
        check();
      }),
    closed: () => ended,
  };
}

export interface CollectedResponse {
  readonly status: number;
  readonly rawHeaders: string[];
  readonly rawTrailers: string[];
  readonly body: string;
}

/** Sends one request with a fresh connection (no agent pooling) and collects the response. */
export function send(
  options: http.RequestOptions,
  body?: string | readonly string[],
): Promise<CollectedResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', agent: false, ...options }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          rawHeaders: res.rawHeaders,
          rawTrailers: res.rawTrailers,
          body: text,
        }),
      );
    });
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else {
      for (const chunk of body ?? []) req.write(chunk);
      req.end();
    }
  });
}

/** A free port nothing listens on (listened on, then closed). */
export async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A self-signed certificate for `localhost` and 127.0.0.1, made with the openssl CLI. */
export function createSelfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'grpctap-http1-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pairs of a flat raw header array, for readable assertions. */
export function pairs(raw: readonly string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) result.push([raw[i] as string, raw[i + 1] as string]);
  return result;
}
