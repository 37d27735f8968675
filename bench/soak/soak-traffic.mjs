/**
 * The soak's peers: a grpc-js Echo server that counts the messages it sees, and a client that
 * keeps a ledger of every call it makes (messages sent and received, final status), tagged with an
 * `x-soak-call` id so the proxy's records of each call can be found and compared.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Metadata header naming each call in the records. */
export const CALL_HEADER = 'x-soak-call';

/** @param {string} protoPath the Echo service (fixtures/e2e/echo.proto) */
export function loadEcho(protoPath) {
  const definition = protoLoader.loadSync(protoPath, {
    keepCase: false,
    longs: String,
    defaults: true,
  });
  return grpc.loadPackageDefinition(definition).grpctap.test.Echo;
}

/** Starts the Echo server over TLS on 127.0.0.1; resolves with its port and a `close`. */
export async function startEchoServer(Echo, { certPem, keyPem }) {
  const server = new grpc.Server();
  server.addService(Echo.service, {
    async Unary(call, callback) {
      const { text, blob, status, delayMs } = call.request;
      if (delayMs) await sleep(delayMs);
      if (status) callback({ code: status, details: `asked for ${status}` });
      else callback(null, { text, blob, index: 0 });
    },
    async ServerStream(call) {
      const { count, intervalMs, size, text } = call.request;
      let gone = false;
      call.once('cancelled', () => {
        gone = true;
      });
      for (let index = 0; index < count && !gone; index++) {
        if (index > 0 && intervalMs) await sleep(intervalMs);
        if (!gone) call.write({ text: `${text}#${index}`, blob: Buffer.alloc(size, index), index });
      }
      if (!gone) call.end();
    },
    Bidi(call) {
      let index = 0;
      call.on('data', (request) =>
        call.write({ text: request.text, blob: request.blob, index: index++ }),
      );
      call.on('end', () => call.end());
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(null, [
    { cert_chain: Buffer.from(certPem), private_key: Buffer.from(keyPem) },
  ]);
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, close: () => server.forceShutdown() };
}

/**
 * One call's entry in the ledger: what the client sent and received and how it ended.
 * @typedef {{ id: string, kind: string, sent: number, received: number, code: number | null }} Entry
 */

let nextCall = 0;

/** Makes the mixed traffic; every call is recorded in `ledger` (a Map by call id). */
export function createTraffic(client, ledger) {
  const begin = (kind) => {
    const entry = {
      id: `soak-${process.pid}-${nextCall++}`,
      kind,
      sent: 0,
      received: 0,
      code: null,
    };
    ledger.set(entry.id, entry);
    const metadata = new grpc.Metadata();
    metadata.set(CALL_HEADER, entry.id);
    return { entry, metadata };
  };
  const settle = (entry, call, resolve) => {
    call.on('status', (status) => {
      entry.code = status.code;
      resolve();
    });
    call.on('error', () => {});
  };
  const blob = (bytes) => Buffer.alloc(bytes, 0x61);

  return {
    /** A unary call; `status` asks the server to fail it, `deadlineMs` with `delayMs` times it out. */
    unary({ bytes = 256, status = 0, delayMs = 0, deadlineMs = 0 } = {}) {
      const { entry, metadata } = begin(status ? 'unary-error' : deadlineMs ? 'deadline' : 'unary');
      return new Promise((resolve) => {
        const options = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
        entry.sent = 1;
        const call = client.Unary(
          { text: entry.id, blob: blob(bytes), status, delayMs },
          metadata,
          options,
          (error) => {
            if (!error) entry.received = 1;
          },
        );
        settle(entry, call, resolve);
      });
    },
    /** A server stream; `cancelAfter` cancels it once that many messages have arrived. */
    serverStream({ count = 20, intervalMs = 5, size = 512, cancelAfter = 0 } = {}) {
      const { entry, metadata } = begin(cancelAfter ? 'cancel' : 'stream');
      return new Promise((resolve) => {
        entry.sent = 1;
        const call = client.ServerStream({ text: entry.id, count, intervalMs, size }, metadata);
        call.on('data', () => {
          entry.received += 1;
          if (cancelAfter && entry.received === cancelAfter) call.cancel();
        });
        settle(entry, call, resolve);
      });
    },
    /** A bidirectional stream of `count` messages, each sent once the previous echo is back. */
    bidi({ count = 10, bytes = 128, pauseMs = 0 } = {}) {
      const { entry, metadata } = begin(pauseMs ? 'long-bidi' : 'bidi');
      return new Promise((resolve) => {
        const call = client.Bidi(metadata);
        const send = async () => {
          if (entry.sent === count) {
            call.end();
            return;
          }
          if (pauseMs && entry.sent > 0) await sleep(pauseMs);
          entry.sent += 1;
          call.write({ text: entry.id, blob: blob(bytes) });
        };
        call.on('data', () => {
          entry.received += 1;
          void send();
        });
        settle(entry, call, resolve);
        void send();
      });
    },
  };
}

/** Picks the next call of the mix (fractions of all calls started by the rate loop). */
export function pickCall(traffic, roll) {
  if (roll < 0.55) return traffic.unary({ bytes: 64 + Math.floor(roll * 4000) });
  if (roll < 0.65) return traffic.unary({ status: grpc.status.NOT_FOUND });
  if (roll < 0.75) return traffic.serverStream();
  if (roll < 0.87) return traffic.bidi();
  if (roll < 0.95) return traffic.serverStream({ count: 1000, intervalMs: 10, cancelAfter: 3 });
  return traffic.unary({ delayMs: 300, deadlineMs: 50 });
}
