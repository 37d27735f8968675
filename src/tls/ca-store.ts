import { generateKeyPair, randomBytes } from 'node:crypto';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CaError } from './ca-error.js';
import {
  type CaPaths,
  type CertificateAuthority,
  describeFix,
  parseCertificateAuthority,
} from './certificate-authority.js';
import { createCaCertificate } from './create-ca-certificate.js';
import { createDirectory } from './create-directory.js';
import { describeCause, errorCode } from './fs-error.js';

/** File name of the CA certificate inside the certs directory. */
export const CA_CERT_FILE = 'ca.pem';
/** File name of the CA private key inside the certs directory. */
export const CA_KEY_FILE = 'ca-key.pem';

const generateKeyPairAsync = promisify(generateKeyPair);
const POLL_MS = 25;
const WARN_BEFORE_EXPIRY_MS = 30 * 24 * 60 * 60 * 1000;
/** Errors from `link` meaning the file system has no hard links; we then write in place. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

export interface LoadOrCreateCaOptions {
  /**
   * How young `ca-key.pem` (by its modification time) may be, in milliseconds, for a missing
   * `ca.pem` to be awaited rather than reported: another grpctap process may be creating the CA at
   * this moment, and on a loaded machine its two synced writes can take seconds. A key older than
   * this without its certificate is reported as `CA_INCOMPLETE` at once. Default 10000.
   */
  readonly settleMs?: number;
}

export interface LoadOrCreateCaResult {
  readonly ca: CertificateAuthority;
  /** True when this call created the CA files. */
  readonly created: boolean;
  /** Problems worth telling the user that do not stop grpctap (loose key permissions, expiry). */
  readonly warnings: string[];
}

/**
 * Loads the CA from `certsDir`, creating `ca.pem` and `ca-key.pem` there when neither exists.
 *
 * Existing files are never overwritten. A new pair is written without a window where either file
 * is partial or the key world-readable: each file is written to a private temporary name (the key
 * with mode 0600 from creation) and hard-linked to its final name, which fails if the name exists,
 * so of two processes starting together exactly one creates the CA and the other loads it. The
 * key is published before the certificate, so a crash can leave a key without a certificate
 * (reported as `CA_INCOMPLETE`) but never a certificate without its key.
 *
 * @param certsDir the certs directory; created with mode 0700 when missing.
 * @throws CaError when the files exist but cannot be used, or cannot be created.
 */
export async function loadOrCreateCa(
  certsDir: string,
  options: LoadOrCreateCaOptions = {},
): Promise<LoadOrCreateCaResult> {
  const dir = resolve(certsDir);
  const paths: CaPaths = { certPath: join(dir, CA_CERT_FILE), keyPath: join(dir, CA_KEY_FILE) };
  const settleMs = options.settleMs ?? 10_000;
  for (;;) {
    const [certText, keyText] = await Promise.all([
      readOptional(paths.certPath, paths),
      readOptional(paths.keyPath, paths),
    ]);
    if (certText !== null && keyText !== null) {
      const ca = parseCertificateAuthority(certText, keyText, paths);
      return { ca, created: false, warnings: await collectWarnings(ca) };
    }
    if (certText !== null) {
      throw new CaError(
        'CA_INCOMPLETE',
        paths.keyPath,
        `${paths.keyPath} is missing but ${paths.certPath} exists; restore ca-key.pem, or ` +
          describeFix(paths),
      );
    }
    if (keyText !== null) {
      if (await isYoungerThan(paths.keyPath, settleMs)) {
        await delay(POLL_MS);
        continue;
      }
      throw new CaError(
        'CA_INCOMPLETE',
        paths.certPath,
        `${paths.certPath} is missing but ${paths.keyPath} exists; restore ca.pem, or ` +
          `delete ca-key.pem in ${dir} to create a new CA (clients must then trust the new ca.pem)`,
      );
    }
    const ca = await createCa(dir, paths);
    if (ca !== null) {
      return { ca, created: true, warnings: [] };
    }
  }
}

/** True when `path` was modified less than `ms` ago (a file that vanished counts as young). */
async function isYoungerThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < ms;
  } catch {
    return true;
  }
}

/** Creates the CA files; returns null when another process published a key first. */
async function createCa(dir: string, paths: CaPaths): Promise<CertificateAuthority | null> {
  const failure = await createDirectory(dir, 0o700);
  if (failure !== null) {
    throw new CaError(
      'CA_UNWRITABLE',
      failure.path,
      `cannot create directory ${failure.path}: ${failure.reason}`,
    );
  }
  const keys = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const certPem = createCaCertificate(keys);
  const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  if (!(await publishFile(paths.keyPath, keyPem, 0o600))) {
    return null;
  }
  if (!(await publishFile(paths.certPath, certPem, 0o644))) {
    throw new CaError(
      'CA_KEY_MISMATCH',
      paths.certPath,
      `${paths.certPath} appeared while ${paths.keyPath} was being created; ${describeFix(paths)}`,
    );
  }
  return parseCertificateAuthority(certPem, keyPem, paths);
}

/**
 * Writes `text` to `path` only if `path` does not exist, never exposing a partial file.
 * @returns false when `path` already exists.
 */
async function publishFile(path: string, text: string, mode: number): Promise<boolean> {
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { flag: 'wx', mode, flush: true });
    await link(temporary, path);
    return true;
  } catch (cause) {
    const code = errorCode(cause);
    if (code === 'EEXIST') {
      return false;
    }
    if (code !== undefined && NO_HARD_LINKS.has(code)) {
      return writeInPlace(path, text, mode);
    }
    throw new CaError('CA_UNWRITABLE', path, `cannot write ${path}: ${describeCause(cause)}`, {
      cause,
    });
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function writeInPlace(path: string, text: string, mode: number): Promise<boolean> {
  try {
    await writeFile(path, text, { flag: 'wx', mode, flush: true });
    return true;
  } catch (cause) {
    if (errorCode(cause) === 'EEXIST') {
      return false;
    }
    throw new CaError('CA_UNWRITABLE', path, `cannot write ${path}: ${describeCause(cause)}`, {
      cause,
    });
  }
}

async function readOptional(path: string, paths: CaPaths): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = errorCode(cause);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return null;
    }
    throw new CaError(
      'CA_UNREADABLE',
      path,
      `cannot read ${path}: ${describeCause(cause)}; fix its permissions, or ${describeFix(paths)}`,
      { cause },
    );
  }
}

async function collectWarnings(ca: CertificateAuthority): Promise<string[]> {
  const warnings: string[] = [];
  const { mode } = await stat(ca.keyPath);
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    warnings.push(
      `${ca.keyPath} is accessible to other users (mode ${octal}); run: chmod 600 ${ca.keyPath}`,
    );
  }
  const notAfter = new Date(ca.x509.validTo);
  const remaining = notAfter.getTime() - Date.now();
  if (remaining <= 0) {
    warnings.push(
      `the CA certificate ${ca.certPath} expired on ${notAfter.toISOString()}; clients will reject ` +
        `every intercepted connection; ${describeFix(ca)}`,
    );
  } else if (remaining < WARN_BEFORE_EXPIRY_MS) {
    warnings.push(
      `the CA certificate ${ca.certPath} expires on ${notAfter.toISOString()}; ${describeFix(ca)}`,
    );
  }
  return warnings;
}
