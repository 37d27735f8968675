import assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { connect, createSecureContext, createServer, type SecureVersion } from 'node:tls';
import forge from 'node-forge';
import { createLeafMinter } from '../../src/tls/leaf-minter.js';
import { parseDer } from '../../src/tls/parse-der.js';
import { useTemporaryMinter } from './ca-fixture.js';

const DAY_MS = 24 * 3600 * 1000;
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
} as const;

interface ExtensionDer {
  readonly critical: boolean;
  /** The extnValue OCTET STRING contents: the extension's own DER. */
  readonly value: string;
}

function childrenOf(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  assert.ok(node !== undefined && Array.isArray(node.value), 'expected a constructed element');
  return node.value;
}

function bytesOf(node: forge.asn1.Asn1 | undefined): string {
  assert.ok(node !== undefined && typeof node.value === 'string', 'expected a primitive element');
  return node.value;
}

/** Walks the certificate DER (RFC 5280 §4.1): extensions by OID, in certificate order. */
function readExtensions(certPem: string): Map<string, ExtensionDer> {
  const tbs = childrenOf(parseDer(new X509Certificate(certPem).raw))[0];
  const wrapper = childrenOf(tbs).find(
    (node) => node.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && Number(node.type) === 3,
  );
  const extensions = new Map<string, ExtensionDer>();
  for (const extension of childrenOf(childrenOf(wrapper)[0])) {
    const fields = childrenOf(extension);
    const oid = forge.asn1.derToOid(bytesOf(fields[0]));
    const critical = fields.length === 3 && bytesOf(fields[1]) === '\xff';
    extensions.set(oid, { critical, value: forge.util.bytesToHex(bytesOf(fields.at(-1))) });
  }
  return extensions;
}

function extensionOf(certPem: string, oid: string): ExtensionDer {
  const extension = readExtensions(certPem).get(oid);
  assert.ok(extension, `missing ${oid}`);
  return extension;
}

/** The OIDs of the outer signatureAlgorithm and of the TBSCertificate's signature field. */
function readSignatureAlgorithms(certPem: string): [string, string] {
  const [tbs, algorithm] = childrenOf(parseDer(new X509Certificate(certPem).raw));
  const inner = childrenOf(childrenOf(tbs)[2])[0];
  return [
    forge.asn1.derToOid(bytesOf(childrenOf(algorithm)[0])),
    forge.asn1.derToOid(bytesOf(inner)),
  ];
}

/** SHA-1 of the uncompressed EC point `04 || X || Y` (RFC 5280 §4.2.1.2 method 1). */
function computeEcKeyIdentifier(x509: X509Certificate): string {
  const jwk = x509.publicKey.export({ format: 'jwk' });
  assert.ok(jwk.x !== undefined && jwk.y !== undefined);
  const point = Buffer.concat([
    Buffer.of(4),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  assert.equal(point.length, 65);
  return createHash('sha1').update(point).digest('hex');
}

describe('createLeafMinter', () => {
  const fixture = useTemporaryMinter();

  it('mints a DNS leaf that chains to the CA and matches only its host', () => {
    const leaf = fixture.minter.mint('api.example.test');
    const x509 = new X509Certificate(leaf.certPem);
    const caX509 = fixture.temporary.ca.x509;
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

  it('gives leaves the shared ECDSA P-256 key, whose PKCS#8 PEM matches the certificate', () => {
    const leaf = fixture.minter.mint('key.test');
    const x509 = new X509Certificate(leaf.certPem);
    assert.equal(x509.publicKey.asymmetricKeyType, 'ec');
    assert.deepEqual(x509.publicKey.asymmetricKeyDetails, { namedCurve: 'prime256v1' });
    assert.match(leaf.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.ok(x509.checkPrivateKey(createPrivateKey(leaf.keyPem)));
    assert.ok(x509.verify(fixture.temporary.ca.x509.publicKey));
  });

  it('sets exactly the leaf profile extensions, with keyUsage digitalSignature only', () => {
    const { certPem } = fixture.minter.mint('profile.test');
    const extensions = readExtensions(certPem);
    assert.deepEqual(
      [...extensions.keys()],
      [
        OID.basicConstraints,
        OID.keyUsage,
        OID.extKeyUsage,
        OID.subjectKeyIdentifier,
        OID.authorityKeyIdentifier,
        OID.subjectAltName,
      ],
    );
    assert.deepEqual(
      extensions.get(OID.keyUsage),
      { critical: true, value: '03020780' },
      'KeyUsage BIT STRING with only bit 0 (digitalSignature) set',
    );
    assert.deepEqual(extensions.get(OID.basicConstraints), { critical: false, value: '3000' });
    assert.deepEqual(
      extensions.get(OID.extKeyUsage),
      { critical: false, value: '300a06082b06010505070301' },
      'extKeyUsage serverAuth only',
    );
    assert.equal(extensionOf(certPem, OID.subjectAltName).critical, false);
    const caSki = extensionOf(fixture.temporary.ca.certPem, OID.subjectKeyIdentifier).value;
    assert.match(caSki, /^0414[0-9a-f]{40}$/);
    assert.deepEqual(
      extensions.get(OID.authorityKeyIdentifier),
      { critical: false, value: `30168014${caSki.slice(4)}` },
      'authorityKeyIdentifier must hold exactly the CA subjectKeyIdentifier',
    );
    assert.deepEqual(extensions.get(OID.subjectKeyIdentifier), {
      critical: false,
      value: `0414${computeEcKeyIdentifier(new X509Certificate(certPem))}`,
    });
  });

  it('is signed by the CA with sha256WithRSAEncryption', () => {
    const { certPem } = fixture.minter.mint('signature.test');
    assert.deepEqual(readSignatureAlgorithms(certPem), [SHA256_WITH_RSA, SHA256_WITH_RSA]);
    const x509 = new X509Certificate(certPem);
    assert.ok(x509.verify(fixture.temporary.ca.x509.publicKey));
    assert.equal(x509.verify(x509.publicKey), false);
  });

  it('mints IP SANs for IPv4 and IPv6 literals, with or without brackets', () => {
    const v4 = new X509Certificate(fixture.minter.mint('127.0.0.1').certPem);
    assert.equal(v4.subjectAltName, 'IP Address:127.0.0.1');
    assert.equal(v4.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(v4.checkIP('127.0.0.2'), undefined);
    const v6 = new X509Certificate(fixture.minter.mint('[2001:DB8::1]').certPem);
    assert.equal(v6.checkIP('2001:db8::1'), '2001:db8::1');
    assert.equal(v6.subject, 'CN=2001:db8::1');
    assert.ok(v6.verify(fixture.temporary.ca.x509.publicKey));
  });

  it('normalises the host before minting', () => {
    const leaf = fixture.minter.mint('WWW.Example.TEST.');
    assert.equal(leaf.host, 'www.example.test');
    assert.equal(new X509Certificate(leaf.certPem).subjectAltName, 'DNS:www.example.test');
  });

  it('omits the common name of hosts longer than 64 characters and marks the SAN critical', () => {
    const host = `${'a'.repeat(60)}.${'b'.repeat(10)}.test`;
    const { certPem } = fixture.minter.mint(host);
    const x509 = new X509Certificate(certPem);
    assert.equal(x509.subject, undefined);
    assert.equal(x509.subjectAltName, `DNS:${host}`);
    assert.equal(x509.checkHost(host), host);
    assert.equal(extensionOf(certPem, OID.subjectAltName).critical, true);
    assert.ok(x509.verify(fixture.temporary.ca.x509.publicKey));
  });

  it('shares one key pair across leaves and gives each leaf its own serial', () => {
    const first = fixture.minter.mint('one.test');
    const second = fixture.minter.mint('two.test');
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
    const leaf = fixture.minter.mint('validity.test');
    const x509 = new X509Certificate(leaf.certPem);
    const notBefore = new Date(x509.validFrom).getTime();
    const notAfter = new Date(x509.validTo).getTime();
    assert.ok(Math.abs(Date.now() - DAY_MS - notBefore) < 60_000);
    assert.ok(Math.abs(Date.now() + 30 * DAY_MS - notAfter) < 60_000);
    assert.equal(fixture.minter.validityDays, 30);
    assert.ok(Math.abs(leaf.notAfter.getTime() - notAfter) < 1000);
  });

  it('honours a custom validity but never outlives the CA', () => {
    const short = createLeafMinter(fixture.temporary.ca, { validityDays: 2 }).mint('short.test');
    const shortAfter = new Date(new X509Certificate(short.certPem).validTo).getTime();
    assert.ok(Math.abs(Date.now() + 2 * DAY_MS - shortAfter) < 60_000);
    const long = createLeafMinter(fixture.temporary.ca, { validityDays: 365 * 20 }).mint(
      'long.test',
    );
    assert.equal(new X509Certificate(long.certPem).validTo, fixture.temporary.ca.x509.validTo);
    assert.throws(() => createLeafMinter(fixture.temporary.ca, { validityDays: 0 }), RangeError);
  });

  it('refuses hosts that are neither DNS names nor IP literals', () => {
    for (const host of ['', 'a b.test', 'exa*mple.test', '[::1', 'a..b', 'x'.repeat(254)]) {
      assert.throws(() => fixture.minter.mint(host), RangeError, JSON.stringify(host));
    }
  });

  it('mints 200 distinct hosts that all verify against the CA', () => {
    const serials = new Set<string>();
    for (let index = 0; index < 200; index++) {
      const host = `host-${index}.bulk.test`;
      const x509 = new X509Certificate(fixture.minter.mint(host).certPem);
      assert.equal(x509.checkHost(host), host);
      assert.ok(x509.verify(fixture.temporary.ca.x509.publicKey));
      serials.add(x509.serialNumber);
    }
    assert.equal(serials.size, 200);
  });

  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const satisfies readonly SecureVersion[]) {
    it(`completes a ${maxVersion} handshake that a client trusting the CA verifies`, async () => {
      const leaf = fixture.minter.mint('handshake.test');
      const context = createSecureContext({ cert: leaf.certPem, key: leaf.keyPem });
      const server = createServer({ SNICallback: (_name, callback) => callback(null, context) });
      server.on('secureConnection', (socket) => socket.end());
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const socket = connect({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        ca: fixture.temporary.ca.certPem,
        servername: 'handshake.test',
        maxVersion,
      });
      try {
        await once(socket, 'secureConnect');
        assert.equal(socket.authorized, true, String(socket.authorizationError));
        assert.equal(socket.getProtocol(), maxVersion);
        const peer = socket.getPeerCertificate();
        assert.equal(peer.subjectaltname, 'DNS:handshake.test');
        assert.deepEqual([peer.asn1Curve, peer.nistCurve], ['prime256v1', 'P-256']);
        if (maxVersion === 'TLSv1.2') {
          assert.match(socket.getCipher().name, /^ECDHE-ECDSA-/);
        }
      } finally {
        socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  }
});
