import { readFile } from 'node:fs/promises';
import tls from 'node:tls';

/** Debian's (and most distributions') bundle of the system trust store. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];

/**
 * The CAs upstream certificates are verified against: Node's bundled roots, the system store
 * bundle when present, and every `--upstream-ca` file. Unreadable `--upstream-ca` files throw.
 */
export async function loadTrustStore(extraFiles: readonly string[]): Promise<string[]> {
  const store = [...tls.rootCertificates];
  for (const path of SYSTEM_BUNDLES) {
    try {
      store.push(await readFile(path, 'utf8'));
      break;
    } catch {
      // No bundle at this path; try the next.
    }
  }
  for (const path of extraFiles) {
    try {
      store.push(await readFile(path, 'utf8'));
    } catch (error) {
      throw new Error(`--upstream-ca ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return store;
}
