import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateCa } from '../../src/tls/ca-store.js';
import type { CertificateAuthority } from '../../src/tls/certificate-authority.js';

/** A CA created in a fresh temporary directory; `remove` deletes the directory. */
export interface TemporaryCa {
  readonly ca: CertificateAuthority;
  readonly dir: string;
  remove(): Promise<void>;
}

export async function createTemporaryCa(): Promise<TemporaryCa> {
  const dir = await mkdtemp(join(tmpdir(), 'grpctap-tls-'));
  const { ca } = await loadOrCreateCa(join(dir, 'certs'));
  return { ca, dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
