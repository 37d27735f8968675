/**
 * A throwaway PostgreSQL server for the store's end-to-end tests: a fresh cluster in a temp dir
 * (`grpctap-pg-*`), run from Debian's binaries (`/usr/lib/postgresql/VERSION/bin`, the highest
 * version installed), trust authentication, on a free loopback port, removed by `stop`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { settleWithin, waitUntil } from './wait.js';

const DEBIAN_ROOT = '/usr/lib/postgresql';
/** Bound on initdb, and separately on the server accepting connections (ms). */
const START_MS = 60_000;
/** How long a SIGTERM (smart shutdown) may take before SIGKILL (ms). */
const STOP_MS = 10_000;

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/grpctap`, an empty database. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, SIGKILL after 10 s) and removes its directory. */
  stop(): Promise<void>;
}

/** The `bin` directory of the highest PostgreSQL version installed, or null when none is. */
export function findPostgresBin(): string | null {
  if (!existsSync(DEBIAN_ROOT)) return null;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((name) => /^\d+(?:\.\d+)?$/.test(name))
    .filter((name) => existsSync(join(DEBIAN_ROOT, name, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(DEBIAN_ROOT, versions[0], 'bin');
}

/** Why the PostgreSQL tests cannot run here, or null when they can. */
export function findPostgresMissing(): string | null {
  return findPostgresBin() === null
    ? `no PostgreSQL server binaries under ${DEBIAN_ROOT}/*/bin (Debian: postgresql)`
    : null;
}

/** initdb and postgres refuse to run as root: then they run as the `postgres` system user. */
function findServerUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const read = (flag: string): number =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: read('-u'), gid: read('-g') };
}

/** A port nothing listens on right now (the kernel's pick for 127.0.0.1:0). */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a program to its end; rejects with its output when it fails. */
function runToEnd(
  file: string,
  args: readonly string[],
  user: { uid: number; gid: number } | null,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...(user ?? {}),
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), START_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${file} failed (${code ?? signal}):\n${output}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Creates a cluster in a fresh temp dir, starts a server on a free port of 127.0.0.1 and creates
 * the database `grpctap`. Throws when the binaries are missing (see `findPostgresMissing`).
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (bin === null) throw new Error(findPostgresMissing() ?? 'no PostgreSQL');
  const user = findServerUser();
  const dir = await mkdtemp(join(tmpdir(), 'grpctap-pg-'));
  let server: ChildProcess | null = null;
  let log = '';
  const stop = async (): Promise<void> => {
    if (server !== null) {
      const exited = exitOf(server);
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
      if ((await settleWithin(exited, STOP_MS, 'late')) === 'late') {
        server.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (user !== null) await chown(dir, user.uid, user.gid);
    await runToEnd(
      join(bin, 'initdb'),
      ['-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C', '-D', dir],
      user,
    );
    const port = await findFreePort();
    const child = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        dir,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
      ],
      { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const base = `postgres://postgres@127.0.0.1:${port}`;
    await waitForConnections(`${base}/postgres`, child, () => log);
    const admin = new pg.Client({ connectionString: `${base}/postgres` });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE grpctap');
    } finally {
      await admin.end();
    }
    return { url: `${base}/grpctap`, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls a connection until the server takes it (bounded), failing early when it exits. */
async function waitForConnections(
  url: string,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  let lastError = '';
  const accepts = async (): Promise<boolean> => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return true;
    } catch (error) {
      lastError = (error as Error).message;
      await client.end().catch(() => undefined);
      return false;
    }
  };
  try {
    await waitUntil(accepts, 'postgres to accept connections', START_MS, 100);
  } catch (error) {
    throw new Error(`${(error as Error).message} (${lastError}):\n${log()}`, { cause: error });
  }
}
