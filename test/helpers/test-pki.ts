import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateCa } from '../../src/tls/ca-store.js';
import { createLeafMinter } from '../../src/tls/leaf-minter.js';

/** A throwaway PKI for test upstream servers, unrelated to the proxy's own CA. */
export interface TestPki {
  readonly caPem: string;
  readonly caPath: string;
  /** Certificate and key for `localhost` (DNS SAN). */
  readonly localhost: { readonly certPem: string; readonly keyPem: string };
  readonly dir: string;
  remove(): Promise<void>;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'grpctap-pki-'));
  const { ca } = await loadOrCreateCa(dir);
  const leaf = createLeafMinter(ca).mint('localhost');
  return {
    caPem: ca.certPem,
    caPath: ca.certPath,
    localhost: { certPem: leaf.certPem, keyPem: leaf.keyPem },
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
