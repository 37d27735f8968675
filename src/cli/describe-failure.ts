import { SchemaLoadError } from '../schema/schema-load-error.js';
import { StoreError } from '../store/store-error.js';
import { CaError } from '../tls/ca-error.js';

/** Where the command was pointed, to name the option a failure belongs to. */
export interface FailureContext {
  readonly certsDir: string;
  /** `--listen` as HOST:PORT; absent for `grpctap ca`. */
  readonly listen?: string | undefined;
}

/** Why `listen(2)` fails in ways a user causes and can fix, in words. */
const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use by another process',
  EADDRNOTAVAIL: 'address not available on this machine',
  EACCES: 'permission denied; ports below 1024 need privileges',
  EPERM: 'operation not permitted',
  EAFNOSUPPORT: 'address family not supported on this machine',
};

/**
 * One line for a start-up failure the user can fix: the CA directory, `--listen` (the address is
 * in use, not this machine's, privileged, or does not resolve), `--record`, `--upstream-ca`,
 * schemas, the flow store. These are expected, so they carry no stack trace.
 *
 * @returns null for anything else: a bug, whose stack is worth printing.
 */
export function describeFailure(error: unknown, context: FailureContext): string | null {
  if (error instanceof CaError) return `--certs-dir ${context.certsDir}: ${error.message}`;
  if (error instanceof SchemaLoadError) return error.message;
  if (error instanceof StoreError) return error.message;
  if (!(error instanceof Error)) return null;
  const { code, syscall, hostname } = error as NodeJS.ErrnoException & { hostname?: string };
  if (context.listen !== undefined && syscall === 'listen' && code !== undefined) {
    return `--listen ${context.listen}: ${LISTEN_FAILURES[code] ?? error.message} (${code})`;
  }
  if (context.listen !== undefined && syscall === 'getaddrinfo' && code !== undefined) {
    return `--listen ${context.listen}: cannot resolve ${hostname ?? 'the host'} (${code})`;
  }
  if (error.message.startsWith('--')) return error.message;
  return null;
}
