import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClientHttp2Session } from 'node:http2';
import { isIP } from 'node:net';
import { createFlowPipeline } from '../flow/flow-pipeline.js';
import type { FlowSink } from '../flow/flow-sink.js';
import { fromHttp1Summary } from '../flow/http-exchange.js';
import { EARLY_RESET_WINDOW_MS } from '../flow/early-reset-tracker.js';
import { createObserverHub } from '../flow/observer-hub.js';
import type { PayloadDecoder } from '../flow/payload-decoder.js';
import { createHttp1Forwarder } from '../http1/http1-forwarder.js';
import type { UpstreamEndpoint } from '../http2/upstream-endpoint.js';
import { createUpstreamPool } from '../http2/upstream-pool.js';
import { createProxyAuthCheck } from '../listener/check-proxy-auth.js';
import { detectForwardingLoop } from '../listener/detect-forwarding-loop.js';
import { createForwardingLoopGuard } from '../listener/forwarding-loop-guard.js';
import { createProxyListener, type ProxyListener } from '../listener/proxy-listener.js';
import { type ProxyMode, parseReverseUrl } from '../listener/proxy-mode.js';
import { createRecordSink } from '../output/record-sink.js';
import { terminalWidth } from '../output/fit-to-width.js';
import { createTailSink } from '../output/tail-sink.js';
import { createFilteredSink } from '../filter/filter-flow-items.js';
import { parseFilter } from '../filter/parse-filter.js';
import { redactStoreLocation } from '../store/redact-url.js';
import { createStoreSink, type StoreSink } from '../store/store-sink.js';
import { createMessageDecoder } from '../schema/create-message-decoder.js';
import { loadOrCreateCa } from '../tls/ca-store.js';
import { createKeylogWriter, type KeylogWriter } from '../tls/keylog-writer.js';
import { createLeafContextCache } from '../tls/leaf-context-cache.js';
import { createLeafMinter } from '../tls/leaf-minter.js';
import { loadTrustStore } from './load-trust-store.js';
import { openRecordFile, openStdout } from './open-output-stream.js';
import { createRepeatedLineThrottle } from './throttle-repeated-lines.js';
import type { ProxyOptions } from './parse-options.js';

/** Most bytes the stdout tail may queue before lines are dropped (a reader that stalls). */
const TAIL_QUEUE_BYTES = 64 * 1024 * 1024;
/**
 * Most bytes the record file may queue: a disk (or a pipe) slower than the traffic loses records
 * past this, counted in a `gap` record, instead of growing the proxy without bound.
 */
const RECORD_QUEUE_BYTES = 64 * 1024 * 1024;
/** Most bytes of store ops sent to the store thread and not yet committed. */
const STORE_QUEUE_BYTES = 64 * 1024 * 1024;

/** Identical request log lines within this window are written once, then counted (ms). */
const REPEAT_WINDOW_MS = 10_000;
/** Distinct lines the throttle holds at once. */
const MAX_THROTTLED_LINES = 1000;

/** Authorities remembered for server reflection (most recent first out when full). */
const MAX_REMEMBERED_ROUTES = 1000;

/**
 * The message decoder: schemaless always, plus `--proto` / `--descriptor-set` schemas and
 * `--reflect`, which asks upstreams over a pooled session that is never observed.
 */
async function createDecoder(
  options: ProxyOptions,
  log: (line: string) => void,
  openSession: (authority: string) => Promise<ClientHttp2Session>,
): Promise<PayloadDecoder> {
  // Schema modules are loaded only when asked for: they hold several MiB the proxy does not
  // otherwise need (see `loadStatusSchema` in src/schema/create-message-decoder.ts).
  const hasSchemas = options.proto.length > 0 || options.descriptorSet.length > 0;
  const registry = hasSchemas
    ? await (
        await import('../schema/load-schemas.js')
      ).loadSchemas({
        protoFiles: [...options.proto],
        protoPaths: [...options.protoPath],
        descriptorSets: [...options.descriptorSet],
      })
    : null;
  for (const problem of registry?.problems ?? []) log(`schema: ${problem}`);
  const resolver = options.reflect
    ? (await import('../schema/reflection-resolver.js')).createReflectionResolver({
        openSession,
        onLog: log,
      })
    : undefined;
  return createMessageDecoder({ registry, ...(resolver ? { resolver } : {}) });
}

export interface RunningProxy {
  readonly address: { host: string; port: number };
  /** Stops listening, closes connections and flushes every record. */
  stop(): Promise<void>;
  /**
   * What `stop()` has not finished yet, one phrase each (`stdout: 1048576 bytes still queued`);
   * empty once everything is flushed. Read when a shutdown runs out of time.
   */
  unflushed(): string[];
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * Starts the proxy: loads (or creates) the CA, opens the outputs and listens. Logs go through
 * `log` (stderr); records go to stdout and the record file.
 */
export async function runProxy(
  options: ProxyOptions,
  log: (line: string) => void,
): Promise<RunningProxy> {
  let mode: ProxyMode = { kind: 'forward' };
  if (options.reverse !== null) {
    const endpoint = parseReverseUrl(options.reverse);
    if (!endpoint)
      throw new Error(
        `--reverse takes https://HOST:PORT or http://HOST:PORT, got ${options.reverse}`,
      );
    mode = { kind: 'reverse', endpoint };
    const own = { address: options.listenHost, port: options.listenPort };
    if (
      detectForwardingLoop(endpoint.host, endpoint.port, {
        listeners: [own],
        interfaceAddresses: [],
      })
    ) {
      throw new Error(
        `--reverse ${options.reverse} is grpctap's own --listen address: every request would loop back into it`,
      );
    }
  }
  const loopGuard = createForwardingLoopGuard();
  // Request-level lines (failures, refusals) repeat when a client retries in a tight loop.
  const requestLog = createRepeatedLineThrottle(log, {
    windowMs: REPEAT_WINDOW_MS,
    maxTracked: MAX_THROTTLED_LINES,
  });
  const logRequest = (line: string): void => requestLog.log(line);
  const tailFilter = options.filter === null ? null : parseFilter(options.filter);
  const origin = `${hostname()}/${process.pid}`;
  // The store opens first: a store that is not grpctap's stops the start before anything else.
  let store: StoreSink | null = null;
  if (options.store !== null) {
    store = await createStoreSink({
      location: options.store,
      origin,
      limits: { maxSizeBytes: options.storeMaxSize, maxAgeMs: options.storeMaxAgeMs },
      maxQueuedBytes: STORE_QUEUE_BYTES,
      log,
    });
    log(
      `storing flows in ${redactStoreLocation(options.store)} (list them with "grpctap flows"; --store none keeps nothing)`,
    );
  }
  const { ca, created, warnings } = await loadOrCreateCa(options.certsDir);
  for (const warning of warnings) log(warning);
  if (created) log(`created a CA in ${ca.certPath}; run "grpctap ca" to see how to trust it`);
  const trust = await loadTrustStore(options.upstreamCa);
  const upstreamTls = { ca: trust, rejectUnauthorized: !options.upstreamInsecure };
  if (options.upstreamInsecure) log('upstream certificates are NOT verified (--upstream-insecure)');

  const keylogPath = process.env.SSLKEYLOGFILE;
  const keylog: KeylogWriter | null = keylogPath
    ? createKeylogWriter(keylogPath, {
        onError: (e) => log(`SSLKEYLOGFILE ${keylogPath}: ${e.message}`),
      })
    : null;
  const onTlsSocket = keylog ? keylog.attach.bind(keylog) : undefined;

  const stdout = openStdout();
  const queued = [{ name: 'stdout', stream: stdout }];
  let width = terminalWidth(process.stdout);
  process.stdout.on('resize', () => {
    width = terminalWidth(process.stdout);
  });
  const tail = createTailSink({
    verbose: options.verbose,
    showSecrets: options.showSecrets,
    width: () => width,
    stream: stdout,
    format: options.output,
    color: options.output === 'text' && process.stdout.isTTY === true && !process.env.NO_COLOR,
    maxQueuedBytes: TAIL_QUEUE_BYTES,
    onError: (error) => log(`stdout: ${error.message}; records still go to --record`),
    onDrop: () => log('stdout is not keeping up; dropping tail lines (a gap line says how many)'),
  });
  const sinks: FlowSink[] = [
    tailFilter === null ? tail : createFilteredSink(tail, tailFilter, origin, log),
  ];
  if (store !== null) sinks.push(store);
  if (options.record !== null) {
    const path = options.record;
    const recordStream = await openRecordFile(path);
    queued.push({ name: `--record ${path}`, stream: recordStream });
    sinks.push(
      createRecordSink({
        stream: recordStream,
        maxQueuedBytes: RECORD_QUEUE_BYTES,
        onError: (error) =>
          log(`--record ${path}: ${error.message}; recording stopped, forwarding goes on`),
        onDrop: () =>
          log(`--record ${path} is not keeping up; dropping records (a gap record says how many)`),
      }),
    );
  }
  const routes = new Map<string, UpstreamEndpoint>();
  const limits = {
    streamWindowBytes: options.streamWindow,
    maxConcurrentStreams: options.maxStreams,
  };
  const pool = createUpstreamPool({
    limits,
    tls: upstreamTls,
    connectTimeoutMs: options.handshakeTimeoutMs,
    onTlsSocket,
    log,
    guard: loopGuard,
  });
  const decoder = await createDecoder(options, log, async (authority) => {
    const endpoint = routes.get(authority);
    if (!endpoint) throw new Error(`no upstream seen yet for ${authority}`);
    // Reflection streams are opened on the session directly, outside the pool's count.
    const pooled = await pool.acquire(endpoint);
    pooled.release();
    return pooled.session;
  });
  const pipeline = createFlowPipeline({
    sinks,
    decoder,
    maxBodyBytes: options.storeMaxBody,
    warn: log,
  });
  const hub = createObserverHub({
    maxMessageSize: options.maxMessageSize,
    pipeline,
    warn: log,
  });

  const authorize =
    options.proxyAuth !== null && mode.kind === 'forward'
      ? createProxyAuthCheck(options.proxyAuth)
      : undefined;
  if (options.proxyAuth !== null && mode.kind === 'reverse')
    log('--proxy-auth has no effect with --reverse');
  let listener: ProxyListener | null = null;
  const http1 = createHttp1Forwarder({
    upstreamTls,
    log: logRequest,
    requestHeadTimeoutMs: options.handshakeTimeoutMs,
    keepAliveTimeoutMs: options.idleTimeoutMs,
    ...(onTlsSocket ? { onUpstreamTlsSocket: onTlsSocket } : {}),
    authorize,
    loopGuard,
    maxBodyBytes: pipeline.bodyCapBytes,
    onConnect: (request, socket, head) => listener?.handleConnect(request, socket, head),
    onExchange: (summary) =>
      pipeline.publish({ kind: 'http', exchange: fromHttp1Summary(summary, randomUUID()) }),
  });
  const leafContexts = createLeafContextCache(createLeafMinter(ca));
  listener = createProxyListener({
    mode,
    limits,
    pool,
    http1,
    leafContexts,
    observe: hub.observe,
    log: logRequest,
    onTlsSocket,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    onRouted: (authority, endpoint) => {
      if (routes.size >= MAX_REMEMBERED_ROUTES && !routes.has(authority)) {
        const oldest = routes.keys().next().value;
        if (oldest !== undefined) routes.delete(oldest);
      }
      routes.set(authority, endpoint);
    },
    maxConnections: options.maxConnections,
    authorize,
    loopGuard,
  });
  const address = await listener.listen(options.listenHost, options.listenPort);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log(`listening on ${host}:${address.port}`);
  if (!isLoopback(options.listenHost)) {
    log(
      `WARNING: listening on ${options.listenHost}: anyone who can reach this address can use the proxy`,
    );
  }
  const active = listener;
  const resetTimer = setInterval(() => {
    if (hub.earlyResets.pending) hub.flushEarlyResets(Date.now(), false);
  }, EARLY_RESET_WINDOW_MS / 2);
  resetTimer.unref();
  return {
    address: { host: address.address, port: address.port },
    async stop() {
      await Promise.all([active.close(), http1.close()]);
      pool.close();
      clearInterval(resetTimer);
      hub.flushEarlyResets(Date.now(), true);
      requestLog.flush();
      await Promise.all([pipeline.close(), keylog?.close()]);
    },
    unflushed() {
      const left = queued
        .filter(({ stream }) => !stream.destroyed && !stream.writableFinished)
        .map(
          ({ name, stream }) =>
            `${name}: ${stream.writableLength} byte${stream.writableLength === 1 ? '' : 's'} still queued`,
        );
      const storeLeft = store?.unflushed() ?? null;
      if (storeLeft !== null) left.push(storeLeft);
      const open = active.openConnections;
      if (open > 0) left.push(`${open} client connection${open === 1 ? '' : 's'} still open`);
      return left;
    },
  };
}
