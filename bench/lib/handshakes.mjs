/**
 * TLS handshake timing with host names the target has never seen, then the same names again,
 * then one fixed name: for an intercepting proxy, the first pass includes minting a leaf
 * certificate and the other two hit its cache. Each handshake is a fresh TCP connection and a
 * full handshake (no session resumption), ALPN h2.
 */
import tls from 'node:tls';
import { percentile } from './stats.mjs';

const HANDSHAKE_TIMEOUT_MS = 10_000;

function handshake(port, servername) {
  return new Promise((resolve) => {
    const start = performance.now();
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: 'timeout' });
    }, HANDSHAKE_TIMEOUT_MS);
    socket.once('secureConnect', () => {
      const ms = performance.now() - start;
      clearTimeout(timer);
      const names = socket.getPeerCertificate()?.subjectaltname ?? '';
      socket.destroy();
      resolve({ ok: true, ms, nameInCertificate: names.includes(servername) });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error: error.message });
    });
  });
}

function summarize(results) {
  const times = results.filter((r) => r.ok).map((r) => r.ms);
  return {
    n: times.length,
    errors: results.length - times.length,
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    max: percentile(times, 100),
    nameInCertificate: results.filter((r) => r.nameInCertificate).length,
  };
}

/**
 * Runs the three passes against `127.0.0.1:port` with `count` names under `*.bench.test`.
 * `mintMs` is the first-contact p50 minus the repeat p50: what minting adds.
 */
export async function measureHandshakes(port, count) {
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const names = Array.from({ length: count }, (_, i) => `host-${run}-${i}.bench.test`);
  await handshake(port, `warmup-${run}.bench.test`);
  const first = [];
  for (const name of names) first.push(await handshake(port, name));
  const repeat = [];
  for (const name of names) repeat.push(await handshake(port, name));
  const same = [];
  for (let i = 0; i < count; i++) same.push(await handshake(port, names[0]));
  const out = { first: summarize(first), repeat: summarize(repeat), same: summarize(same) };
  out.mintMs =
    out.first.p50 !== null && out.repeat.p50 !== null ? out.first.p50 - out.repeat.p50 : null;
  out.error = [...first, ...repeat, ...same].find((r) => !r.ok)?.error ?? null;
  out.ok = out.error === null;
  return out;
}
