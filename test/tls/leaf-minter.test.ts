import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { createLeafMinter, type LeafMinter } from '../../src/tls/leaf-minter.js';
import { createTemporaryCa, type TemporaryCa } from './ca-fixture.js';

const DAY_MS = 24 * 3600 * 1000;

interface Extension {
  critical?: boolean;
  [flag: string]: unknown;
}

function extensionOf(certPem: string, name: string): Extension {
  const extension = forge.pki.certificateFromPem(certPem).getExtension(name);
  assert.ok(extension, `missing ${name}`);
  return extension;
}

describe('createLeafMinter', () => {
  let temporary: TemporaryCa;
  let minter: LeafMinter;

  before(async () => {
    temporary = await createTemporaryCa();
    minter = createLeafMinter(temporary.ca);
  });

  after(() => temporary.remove());

  it('mints a DNS leaf that chains to the CA and matches only its host', () => {
    const leaf = minter.mint('api.example.test');
    const x509 = new X509Certificate(leaf.certPem);
    const caX509 = temporary.ca.x509;
    assert.ok(caX509.verify(caX509.publicKey));
    assert.ok(x509.verify(caX509.publicKey));
    assert.ok(x509.checkIssued(caX509));
    assert.equal(x509.ca, false);
    assert.equal(x509.subject, 'CN=api.example.test');
    assert.equal(x509.issuer, caX509.subject);
    assert.equal(x509.subjectAltName, 'DNS:api.example.test');
    assert.equal(x509.checkHost('api.example.test'), 'api.example.test');
    assert.equal(x509.checkHost('other.example.test'), undefined);
    assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(leaf.host, 'api.example.test');
  });

  it('sets the leaf profile extensions', () => {
    const { certPem } = minter.mint('profile.test');
    const usage = extensionOf(certPem, 'keyUsage');
    assert.deepEqual(
      [usage.critical, usage.digitalSignature, usage.keyEncipherment, usage.keyCertSign],
      [true, true, true, false],
    );
    assert.equal(extensionOf(certPem, 'basicConstraints').cA, false);
    assert.equal(extensionOf(certPem, 'extKeyUsage').serverAuth, true);
    assert.equal(extensionOf(certPem, 'subjectAltName').critical, false);
    const caSki = forge.pki
      .certificateFromPem(temporary.ca.certPem)
      .getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string };
    const aki = extensionOf(certPem, 'authorityKeyIdentifier') as { value: string };
    assert.equal(
      forge.util.bytesToHex(aki.value),
      `30168014${caSki.subjectKeyIdentifier}`,
      'authorityKeyIdentifier must hold exactly the CA subjectKeyIdentifier',
    );
    assert.match(
      (extensionOf(certPem, 'subjectKeyIdentifier') as { subjectKeyIdentifier: string })
        .subjectKeyIdentifier,
      /^[0-9a-f]{40}$/,
    );
    assert.equal(
      forge.pki.certificateFromPem(certPem).signatureOid,
      forge.pki.oids.sha256WithRSAEncryption,
    );
  });

  it('mints IP SANs for IPv4 and IPv6 literals, with or without brackets', () => {
    const v4 = new X509Certificate(minter.mint('127.0.0.1').certPem);
    assert.equal(v4.subjectAltName, 'IP Address:127.0.0.1');
    assert.equal(v4.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(v4.checkIP('127.0.0.2'), undefined);
    const v6 = new X509Certificate(minter.mint('[2001:DB8::1]').certPem);
    assert.equal(v6.checkIP('2001:db8::1'), '2001:db8::1');
    assert.equal(v6.subject, 'CN=2001:db8::1');
    assert.ok(v6.verify(temporary.ca.x509.publicKey));
  });

  it('normalises the host before minting', () => {
    const leaf = minter.mint('WWW.Example.TEST.');
    assert.equal(leaf.host, 'www.example.test');
    assert.equal(new X509Certificate(leaf.certPem).subjectAltName, 'DNS:www.example.test');
  });

  it('omits the common name of hosts longer than 64 characters and marks the SAN critical', () => {
    const host = `${'a'.repeat(60)}.${'b'.repeat(10)}.test`;
    const { certPem } = minter.mint(host);
    const x509 = new X509Certificate(certPem);
    assert.equal(x509.subject, undefined);
    assert.equal(x509.subjectAltName, `DNS:${host}`);
    assert.equal(x509.checkHost(host), host);
    assert.equal(extensionOf(certPem, 'subjectAltName').critical, true);
    assert.ok(x509.verify(temporary.ca.x509.publicKey));
  });

  it('shares one key pair across leaves and gives each leaf its own serial', () => {
    const first = minter.mint('one.test');
    const second = minter.mint('two.test');
    assert.equal(first.keyPem, second.keyPem);
    const firstX509 = new X509Certificate(first.certPem);
    const secondX509 = new X509Certificate(second.certPem);
    assert.ok(firstX509.publicKey.equals(secondX509.publicKey));
    assert.ok(firstX509.checkPrivateKey(createPrivateKey(first.keyPem)));
    assert.notEqual(firstX509.serialNumber, secondX509.serialNumber);
    assert.match(firstX509.serialNumber, /^[0-9A-F]{32}$/);
    const firstByte = Number.parseInt(firstX509.serialNumber.slice(0, 2), 16);
    assert.ok(
      firstByte >= 0x01 && firstByte <= 0x7f,
      `first byte ${firstByte}: positive, 16 bytes`,
    );
  });

  it('backdates leaves by a day and keeps them valid for 30 days by default', () => {
    const leaf = minter.mint('validity.test');
    const x509 = new X509Certificate(leaf.certPem);
    const notBefore = new Date(x509.validFrom).getTime();
    const notAfter = new Date(x509.validTo).getTime();
    assert.ok(Math.abs(Date.now() - DAY_MS - notBefore) < 60_000);
    assert.ok(Math.abs(Date.now() + 30 * DAY_MS - notAfter) < 60_000);
    assert.equal(minter.validityDays, 30);
    assert.ok(Math.abs(leaf.notAfter.getTime() - notAfter) < 1000);
  });

  it('honours a custom validity but never outlives the CA', () => {
    const short = createLeafMinter(temporary.ca, { validityDays: 2 }).mint('short.test');
    const shortAfter = new Date(new X509Certificate(short.certPem).validTo).getTime();
    assert.ok(Math.abs(Date.now() + 2 * DAY_MS - shortAfter) < 60_000);
    const long = createLeafMinter(temporary.ca, { validityDays: 365 * 20 }).mint('long.test');
    assert.equal(new X509Certificate(long.certPem).validTo, temporary.ca.x509.validTo);
    assert.throws(() => createLeafMinter(temporary.ca, { validityDays: 0 }), RangeError);
  });

  it('refuses hosts that are neither DNS names nor IP literals', () => {
    for (const host of ['', 'a b.test', 'exa*mple.test', '[::1', 'a..b', 'x'.repeat(254)]) {
      assert.throws(() => minter.mint(host), RangeError, JSON.stringify(host));
    }
  });

  it('mints 200 distinct hosts that all verify against the CA', () => {
    const serials = new Set<string>();
    for (let index = 0; index < 200; index++) {
      const host = `host-${index}.bulk.test`;
      const x509 = new X509Certificate(minter.mint(host).certPem);
      assert.equal(x509.checkHost(host), host);
      assert.ok(x509.verify(temporary.ca.x509.publicKey));
      serials.add(x509.serialNumber);
    }
    assert.equal(serials.size, 200);
  });
});
