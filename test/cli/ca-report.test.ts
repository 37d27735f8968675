import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { formatCaReport } from '../../src/cli/ca-report.js';
import type { CertificateAuthority } from '../../src/tls/certificate-authority.js';
import { createTemporaryCa, type TemporaryCa } from '../tls/ca-fixture.js';

describe('formatCaReport', () => {
  let temporary: TemporaryCa;

  before(async () => {
    temporary = await createTemporaryCa();
  });

  after(() => temporary.remove());

  it('says whether the CA was just created or already existed', () => {
    const { ca } = temporary;
    assert.match(formatCaReport(ca, true), /^Created a new grpctap CA in /);
    assert.match(formatCaReport(ca, false), /^Using the existing grpctap CA in /);
  });

  it('prints the absolute certificate path, its SHA-256 fingerprint and expiry', () => {
    const { ca } = temporary;
    const report = formatCaReport(ca, false);
    assert.ok(ca.certPath.startsWith('/'));
    assert.ok(report.includes(`Certificate:  ${ca.certPath}\n`));
    assert.ok(report.includes(`SHA-256:      ${ca.x509.fingerprint256}\n`));
    assert.ok(report.includes(`Valid until:  ${new Date(ca.x509.validTo).toISOString()}\n`));
  });

  it('gives the exact trust instructions for Node, gRPC C-core, curl and Debian', () => {
    const { ca } = temporary;
    const lines = formatCaReport(ca, false)
      .split('\n')
      .map((line) => line.trim());
    const path = ca.certPath;
    for (const expected of [
      `export NODE_EXTRA_CA_CERTS=${path}`,
      `export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=${path}`,
      `curl --cacert ${path} --proxy http://127.0.0.1:8080 https://example.com/`,
      `cp ${path} /usr/local/share/ca-certificates/grpctap.crt && update-ca-certificates`,
    ]) {
      assert.ok(lines.includes(expected), expected);
    }
    assert.ok(lines.some((line) => line.includes('.crt extension is required')));
  });

  it('quotes a certificate path that a shell would split', () => {
    const ca = { ...temporary.ca, certPath: "/tmp/my certs/it's/ca.pem" } as CertificateAuthority;
    const report = formatCaReport(ca, false);
    assert.ok(report.includes(`export NODE_EXTRA_CA_CERTS='/tmp/my certs/it'\\''s/ca.pem'\n`));
  });

  it('never includes key material', async () => {
    const { ca } = temporary;
    const keyPem = await readFile(ca.keyPath, 'utf8');
    const keyBody = keyPem.split('\n')[1] ?? '';
    assert.ok(keyBody.length > 40);
    for (const created of [true, false]) {
      const report = formatCaReport(ca, created);
      assert.ok(!report.includes('PRIVATE KEY'));
      assert.ok(!report.includes(keyBody));
      assert.ok(!report.includes('BEGIN CERTIFICATE'));
    }
  });
});
