import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import forge from 'node-forge';
import { createCaCertificate } from '../../src/tls/create-ca-certificate.js';
import { createSerialNumber, encodePem, signCertificate } from '../../src/tls/sign-certificate.js';

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
  });

  it('fails verification against another key', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const x509 = new X509Certificate(createCaCertificate(keys));
    assert.equal(x509.verify(other.publicKey), false);
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
