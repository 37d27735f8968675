import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import forge from 'node-forge';
import { createCaCertificate } from '../../src/tls/create-ca-certificate.js';
import { parseDer } from '../../src/tls/parse-der.js';
import {
  createSerialNumber,
  encodePem,
  signCertificate,
  signCertificateForKey,
} from '../../src/tls/sign-certificate.js';

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

/** The OIDs of the outer signatureAlgorithm and of the TBSCertificate's signature field. */
function readSignatureAlgorithms(der: Buffer): string[] {
  const [tbs, algorithm] = parseDer(der).value as forge.asn1.Asn1[];
  const tbsFields = tbs?.value as forge.asn1.Asn1[];
  return [algorithm, tbsFields[2]].map((node) => {
    const oid = (node?.value as forge.asn1.Asn1[])[0];
    return forge.asn1.derToOid(oid?.value as string);
  });
}

/** A node-forge certificate template with every field but the key and signature set. */
function createTemplate(subject: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = createSerialNumber();
  cert.validity.notBefore = new Date('2026-01-01T00:00:00Z');
  cert.validity.notAfter = new Date('2026-02-01T00:00:00Z');
  cert.setSubject([{ shortName: 'CN', value: subject }]);
  cert.setIssuer([{ shortName: 'CN', value: 'issuer' }]);
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 2, value: subject }] }]);
  return cert;
}

describe('signCertificate', () => {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('produces a SHA-256 signature that Node and node-forge both verify', () => {
    const cert = forge.pki.certificateFromPem(createCaCertificate(keys));
    cert.setSubject([{ shortName: 'CN', value: 'resigned' }]);
    cert.setIssuer([{ shortName: 'CN', value: 'resigned' }]);
    const der = signCertificate(cert, keys.privateKey);
    const x509 = new X509Certificate(der);
    assert.equal(x509.subject, 'CN=resigned');
    assert.ok(x509.verify(keys.publicKey));
    const reparsed = forge.pki.certificateFromAsn1(forge.asn1.fromDer(der.toString('binary')));
    assert.equal(reparsed.signatureOid, forge.pki.oids.sha256WithRSAEncryption);
    assert.ok(reparsed.verify(reparsed));
    assert.equal(
      forge.pki.certificateToPem(cert).replace(/\r/g, ''),
      encodePem('CERTIFICATE', der),
    );
    assert.deepEqual(readSignatureAlgorithms(der), [SHA256_WITH_RSA, SHA256_WITH_RSA]);
  });

  it('fails verification against another key', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const x509 = new X509Certificate(createCaCertificate(keys));
    assert.equal(x509.verify(other.publicKey), false);
  });
});

describe('signCertificateForKey', () => {
  const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherIssuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const subjectKeys = {
    'ECDSA P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    'ECDSA P-384': generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
    Ed25519: generateKeyPairSync('ed25519').publicKey,
    'RSA-2048': generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
  };

  for (const [name, publicKey] of Object.entries(subjectKeys)) {
    it(`puts an ${name} subject key in a certificate the issuer's key verifies`, () => {
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const template = createTemplate('subject.test');
      const der = signCertificateForKey(template, spki, issuer.privateKey);
      const x509 = new X509Certificate(der);
      assert.ok(x509.verify(issuer.publicKey));
      assert.equal(x509.verify(otherIssuer.publicKey), false);
      assert.ok(x509.publicKey.export({ type: 'spki', format: 'der' }).equals(spki));
      assert.equal(x509.publicKey.asymmetricKeyType, publicKey.asymmetricKeyType);
      assert.equal(x509.subject, 'CN=subject.test');
      assert.equal(x509.issuer, 'CN=issuer');
      assert.equal(x509.subjectAltName, 'DNS:subject.test');
      assert.equal(x509.serialNumber, template.serialNumber.toUpperCase());
      assert.equal(new Date(x509.validFrom).toISOString(), '2026-01-01T00:00:00.000Z');
      assert.deepEqual(readSignatureAlgorithms(der), [SHA256_WITH_RSA, SHA256_WITH_RSA]);
    });
  }

  it('encodes a short issuer signature with a one-byte long-form length', () => {
    const smallIssuer = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const spki = subjectKeys['ECDSA P-256'].export({ type: 'spki', format: 'der' });
    const der = signCertificateForKey(createTemplate('short.test'), spki, smallIssuer.privateKey);
    const signatureValue = der.subarray(der.length - 132);
    assert.equal(signatureValue.subarray(0, 4).toString('hex'), '03818100');
    assert.ok(new X509Certificate(der).verify(smallIssuer.publicKey));
  });
});

describe('encodePem', () => {
  it('wraps base64 at 64 characters between BEGIN and END lines', () => {
    const der = Uint8Array.from({ length: 100 }, (_, index) => index);
    const pem = encodePem('TEST', der);
    const lines = pem.trimEnd().split('\n');
    assert.equal(lines[0], '-----BEGIN TEST-----');
    assert.equal(lines.at(-1), '-----END TEST-----');
    assert.deepEqual(
      lines.slice(1, -1).map((line) => line.length),
      [64, 64, 8],
    );
    assert.equal(Buffer.from(lines.slice(1, -1).join(''), 'base64').compare(der), 0);
  });
});

describe('createSerialNumber', () => {
  it('makes distinct positive, minimally encoded 16-byte serials', () => {
    const serials = new Set<string>();
    for (let index = 0; index < 1000; index++) {
      const serial = createSerialNumber();
      assert.match(serial, /^[0-7][0-9a-f]{31}$/);
      assert.notEqual(serial.slice(0, 2), '00');
      serials.add(serial);
    }
    assert.equal(serials.size, 1000);
  });
});
