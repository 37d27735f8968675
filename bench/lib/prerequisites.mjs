/**
 * What a run needs before it starts: the load generator and peer proxies (installed with apt when
 * missing, saying so), the backend's certificate, and tool versions for the report.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** Debian package of each command. nghttpx is in nghttp2-proxy, not nghttp2-server. */
const PACKAGE_OF = { h2load: 'nghttp2-client', nghttpx: 'nghttp2-proxy', mitmdump: 'mitmproxy' };

function hasCommand(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure every command in `commands` exists, installing missing ones with
 * `apt-get update` (once) and `apt-get install -y`. Throws when that is not possible.
 */
export function ensureCommands(commands, log) {
  const missing = commands.filter((command) => !hasCommand(command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((command) => PACKAGE_OF[command]).filter(Boolean))];
  const unknown = missing.filter((command) => !PACKAGE_OF[command]);
  if (unknown.length > 0) throw new Error(`missing commands: ${unknown.join(', ')}`);
  log(`missing ${missing.join(', ')}: installing ${packages.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    execFileSync('apt-get', ['install', '-y', ...packages], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
  } catch (error) {
    throw new Error(
      `could not install ${packages.join(' ')} (${error.message.split('\n')[0]}); ` +
        `run as root: apt-get update && apt-get install -y ${packages.join(' ')}`,
      { cause: error },
    );
  }
  const still = missing.filter((command) => !hasCommand(command));
  if (still.length > 0) throw new Error(`still missing after apt-get: ${still.join(', ')}`);
}

/**
 * The backend's (and nghttpx's) certificate: self-signed ECDSA P-256 for `bench.local`,
 * `*.bench.test`, `localhost` and 127.0.0.1, made with openssl once per state directory.
 */
export function ensureBackendCertificate(stateDir) {
  const dir = path.join(stateDir, 'backend-cert');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  if (existsSync(cert) && existsSync(key)) return { cert, key };
  mkdirSync(dir, { recursive: true });
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
      key,
      '-out',
      cert,
      '-days',
      '3650',
      '-subj',
      '/CN=bench.local',
      '-addext',
      'subjectAltName=DNS:bench.local,DNS:localhost,DNS:*.bench.test,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** First line of `command args`, or `n/a`. */
export function readVersion(command, args) {
  try {
    const out = execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return out.trim().split('\n')[0];
  } catch {
    return 'n/a';
  }
}
