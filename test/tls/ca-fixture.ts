import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { loadOrCreateCa } from '../../src/tls/ca-store.js';
import type { CertificateAuthority } from '../../src/tls/certificate-authority.js';
import { createLeafMinter, type LeafMinter } from '../../src/tls/leaf-minter.js';

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

/** A temporary CA and a leaf minter on it, filled in by a suite's `before` hook. */
export interface MinterFixture {
  readonly temporary: TemporaryCa;
  readonly minter: LeafMinter;
}

/**
 * Registers hooks on the enclosing suite: a temporary CA and a minter before its tests, the CA's
 * directory removed after them. Read the fields inside tests, not at registration.
 */
export function useTemporaryMinter(): MinterFixture {
  const fixture = {} as { temporary: TemporaryCa; minter: LeafMinter };
  before(async () => {
    fixture.temporary = await createTemporaryCa();
    fixture.minter = createLeafMinter(fixture.temporary.ca);
  });
  after(() => fixture.temporary.remove());
  return fixture;
}
