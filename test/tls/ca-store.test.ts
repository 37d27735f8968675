import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { CaError, type CaErrorCode } from '../../src/tls/ca-error.js';
import { CA_CERT_FILE, CA_KEY_FILE, loadOrCreateCa } from '../../src/tls/ca-store.js';
import { createCaCertificate } from '../../src/tls/create-ca-certificate.js';
import { signCertificate } from '../../src/tls/sign-certificate.js';
import { sleep } from '../helpers/wait.js';

/** A self-signed P-256 CA certificate (basicConstraints CA:true), valid until 2126. */
const EC_CA_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBgjCCASegAwIBAgIUUOSuNBvsqhq5Bm1C3z8fik15tf0wCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKRUMgdGVzdCBDQTAgFw0yNjExMjEwMDM5MjNaGA8yMTI2MTAy
ODAwMzkyM1owFTETMBEGA1UEAwwKRUMgdGVzdCBDQTBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABEn/ADKVlHA0JI/2DPQcJR1nR8raHiDHgAnVTpxkrsWqZ5fg3YpZ
V2dFi98djEJzuZhPaUBjM2k1ca3yflvP+K+jUzBRMB0GA1UdDgQWBBRuEZZMJlH2
FznYFHFLByumPdEdFTAfBgNVHSMEGDAWgBRuEZZMJlH2FznYFHFLByumPdEdFTAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCKWCDBHTc3TTkD8MhX
IjV1lbuQiWEqHjALLpO8jRb1+AIhAOXph0YNhXEd+cHoti7kxmKIcCn1xyulmdAf
54C0K7Ue
-----END CERTIFICATE-----
`;

let root: string;
let counter = 0;

/** A directory path that does not exist yet, inside this file's temporary root. */
function freshDir(): string {
  counter += 1;
  return join(root, `certs-${counter}`);
}

async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) {
      files.set(entry.name, await readFile(join(dir, entry.name)));
    }
  }
  return files;
}

/** Copies a valid CA into a new directory so each test can damage its own copy. */
async function copyOfValidCa(source: string): Promise<string> {
  const dir = freshDir();
  await mkdir(dir);
  for (const name of [CA_CERT_FILE, CA_KEY_FILE]) {
    await writeFile(join(dir, name), await readFile(join(source, name)), { mode: 0o600 });
  }
  return dir;
}

async function assertCaError(dir: string, code: CaErrorCode, file: string): Promise<void> {
  const before = await snapshot(dir);
  await assert.rejects(loadOrCreateCa(dir, { settleMs: 0 }), (error: unknown) => {
    assert.ok(error instanceof CaError);
    assert.equal(error.code, code);
    assert.equal(error.file, join(dir, file));
    assert.ok(error.message.includes(join(dir, file)), error.message);
    return true;
  });
  assert.deepEqual(await snapshot(dir), before, 'the CA files must be left untouched');
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'grpctap-ca-store-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadOrCreateCa on first run', () => {
  let dir: string;
  let result: Awaited<ReturnType<typeof loadOrCreateCa>>;

  before(async () => {
    dir = join(freshDir(), 'nested');
    result = await loadOrCreateCa(dir);
  });

  it('creates the directory with mode 0700 and the key with mode 0600', async () => {
    assert.equal(result.created, true);
    assert.deepEqual(result.warnings, []);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, CA_KEY_FILE))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, CA_CERT_FILE))).mode & 0o044, 0o044);
    assert.deepEqual((await readdir(dir)).sort(), [CA_KEY_FILE, CA_CERT_FILE].sort());
  });

  it('exposes the certificate, key and paths it wrote', async () => {
    const { ca } = result;
    assert.equal(ca.certPath, join(dir, CA_CERT_FILE));
    assert.equal(ca.keyPath, join(dir, CA_KEY_FILE));
    assert.equal(await readFile(ca.certPath, 'utf8'), ca.certPem);
    assert.equal(ca.fingerprint256, new X509Certificate(ca.certPem).fingerprint256);
    assert.match(ca.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(ca.key.type, 'private');
    assert.ok(ca.x509.checkPrivateKey(ca.key));
    assert.equal(ca.cert.subject.getField('CN').value, 'grpctap CA');
    assert.ok(!JSON.stringify(Object.keys(ca)).includes('keyPem'));
  });

  it('writes a self-signed SHA-256 RSA-2048 CA certificate with the CA extensions', () => {
    const { x509, cert } = result.ca;
    assert.ok(x509.verify(x509.publicKey));
    assert.ok(x509.ca);
    assert.equal(x509.subject, 'CN=grpctap CA\nO=grpctap');
    assert.equal(x509.issuer, x509.subject);
    assert.equal(x509.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(cert.signatureOid, forge.pki.oids.sha256WithRSAEncryption);
    const basic = cert.getExtension('basicConstraints') as { cA: boolean; critical: boolean };
    assert.deepEqual([basic.cA, basic.critical], [true, true]);
    const usage = cert.getExtension('keyUsage') as Record<string, boolean>;
    assert.deepEqual(
      [usage.critical, usage.keyCertSign, usage.cRLSign, usage.digitalSignature],
      [true, true, true, false],
    );
    const ski = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string };
    assert.match(ski.subjectKeyIdentifier, /^[0-9a-f]{40}$/);
  });

  it('backdates the CA by a day, lasts ten years and has a positive 16-byte serial', () => {
    const { x509 } = result.ca;
    const now = Date.now();
    const notBefore = new Date(x509.validFrom).getTime();
    const notAfter = new Date(x509.validTo).getTime();
    assert.ok(Math.abs(now - 24 * 3600 * 1000 - notBefore) < 60_000);
    const years = (notAfter - notBefore) / (365.25 * 24 * 3600 * 1000);
    assert.ok(years > 9.99 && years < 10.01, `${years}`);
    assert.match(x509.serialNumber, /^[0-9A-F]{32}$/);
    const firstByte = Number.parseInt(x509.serialNumber.slice(0, 2), 16);
    assert.ok(
      firstByte >= 0x01 && firstByte <= 0x7f,
      `first byte ${firstByte}: positive, 16 bytes`,
    );
  });

  it('loads the same CA again without rewriting it', async () => {
    const before = await snapshot(dir);
    const again = await loadOrCreateCa(dir);
    assert.equal(again.created, false);
    assert.equal(again.ca.fingerprint256, result.ca.fingerprint256);
    assert.deepEqual(again.warnings, []);
    assert.deepEqual(await snapshot(dir), before);
  });
});

describe('loadOrCreateCa with existing files', () => {
  let validDir: string;

  before(async () => {
    validDir = freshDir();
    await loadOrCreateCa(validDir);
  });

  it('creates exactly one CA when several loads race on an empty directory', async () => {
    const dir = freshDir();
    const results = await Promise.all([
      loadOrCreateCa(dir),
      loadOrCreateCa(dir),
      loadOrCreateCa(dir),
    ]);
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(new Set(results.map((r) => r.ca.fingerprint256)).size, 1);
    assert.deepEqual((await readdir(dir)).sort(), [CA_KEY_FILE, CA_CERT_FILE].sort());
  });

  it('warns, without changing it, when the key is readable by others', async () => {
    const dir = await copyOfValidCa(validDir);
    await chmod(join(dir, CA_KEY_FILE), 0o644);
    const { warnings, created } = await loadOrCreateCa(dir);
    assert.equal(created, false);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /mode 0644.*chmod 600/);
    assert.equal((await stat(join(dir, CA_KEY_FILE))).mode & 0o777, 0o644);
  });

  it('reports a corrupt certificate', async () => {
    const dir = await copyOfValidCa(validDir);
    await writeFile(join(dir, CA_CERT_FILE), '-----BEGIN CERTIFICATE-----\nnot base64\n');
    await assertCaError(dir, 'CA_CORRUPT', CA_CERT_FILE);
  });

  it('reports a corrupt key', async () => {
    const dir = await copyOfValidCa(validDir);
    await writeFile(join(dir, CA_KEY_FILE), 'garbage');
    await assertCaError(dir, 'CA_CORRUPT', CA_KEY_FILE);
  });

  it('reports a key that belongs to another certificate', async () => {
    const dir = await copyOfValidCa(validDir);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(join(dir, CA_KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await assertCaError(dir, 'CA_KEY_MISMATCH', CA_KEY_FILE);
  });

  it('reports a certificate that is not a CA', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = forge.pki.certificateFromPem(createCaCertificate(keys));
    cert.setExtensions([{ name: 'basicConstraints', cA: false }]);
    signCertificate(cert, keys.privateKey);
    await writeFile(join(dir, CA_CERT_FILE), forge.pki.certificateToPem(cert));
    await writeFile(
      join(dir, CA_KEY_FILE),
      keys.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    await assertCaError(dir, 'CA_NOT_CA', CA_CERT_FILE);
  });

  it('reports a CA certificate whose key is not RSA', async () => {
    const dir = await copyOfValidCa(validDir);
    await writeFile(join(dir, CA_CERT_FILE), EC_CA_CERT_PEM);
    await assertCaError(dir, 'CA_UNSUPPORTED', CA_CERT_FILE);
  });

  it('reports an old key without its certificate at once', async () => {
    const dir = await copyOfValidCa(validDir);
    await rm(join(dir, CA_CERT_FILE));
    const anHourAgo = new Date(Date.now() - 3600_000);
    await utimes(join(dir, CA_KEY_FILE), anHourAgo, anHourAgo);
    await assertCaError(dir, 'CA_INCOMPLETE', CA_CERT_FILE);
  });

  it('waits for the certificate while the key is young, as a concurrent creator writes it', async () => {
    const dir = await copyOfValidCa(validDir);
    const certPem = await readFile(join(dir, CA_CERT_FILE), 'utf8');
    await rm(join(dir, CA_CERT_FILE));
    const loading = loadOrCreateCa(dir);
    // Slower than the one second the wait used to allow, as a creator on a loaded machine is.
    await sleep(1500);
    await writeFile(join(dir, CA_CERT_FILE), certPem);
    const loaded = await loading;
    assert.equal(loaded.created, false);
  });

  it('reports a young key without its certificate once it is older than the settle time', async () => {
    const dir = await copyOfValidCa(validDir);
    await rm(join(dir, CA_CERT_FILE));
    await assert.rejects(loadOrCreateCa(dir, { settleMs: 200 }), { code: 'CA_INCOMPLETE' });
  });

  it('reports a certificate without its key', async () => {
    const dir = await copyOfValidCa(validDir);
    await rm(join(dir, CA_KEY_FILE));
    await assertCaError(dir, 'CA_INCOMPLETE', CA_KEY_FILE);
  });

  it('reports a CA file it cannot read', async () => {
    const dir = await copyOfValidCa(validDir);
    await rm(join(dir, CA_CERT_FILE));
    await mkdir(join(dir, CA_CERT_FILE));
    await assertCaError(dir, 'CA_UNREADABLE', CA_CERT_FILE);
  });

  it('reports a certs directory it cannot create', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, '');
    await assert.rejects(loadOrCreateCa(join(file, 'certs')), {
      code: 'CA_UNWRITABLE',
      file,
      message: `cannot create directory ${file}: it exists and is not a directory`,
    });
  });

  it(
    'reports a certs directory under /proc instead of retrying mkdir forever',
    { timeout: 10_000 },
    async () => {
      await assert.rejects(loadOrCreateCa('/proc/self/grpctap-nowhere/certs'), {
        code: 'CA_UNWRITABLE',
        file: '/proc/self/grpctap-nowhere',
        message:
          /^cannot create directory \/proc\/self\/grpctap-nowhere: ENOENT: no such file or directory/,
      });
    },
  );
});
