import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { computeSubjectKeyIdentifier } from '../../src/tls/compute-subject-key-identifier.js';

describe('computeSubjectKeyIdentifier', () => {
  it('hashes the PKCS#1 RSAPublicKey of an RSA key', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const identifier = computeSubjectKeyIdentifier(
      publicKey.export({ type: 'spki', format: 'der' }),
    );
    const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'der' });
    assert.equal(identifier.toString('hex'), createHash('sha1').update(pkcs1).digest('hex'));
  });

  it('hashes the uncompressed point of an ECDSA P-256 key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([
      Buffer.of(4),
      Buffer.from(jwk.x ?? '', 'base64url'),
      Buffer.from(jwk.y ?? '', 'base64url'),
    ]);
    assert.equal(point.length, 65);
    const identifier = computeSubjectKeyIdentifier(
      publicKey.export({ type: 'spki', format: 'der' }),
    );
    assert.equal(identifier.toString('hex'), createHash('sha1').update(point).digest('hex'));
  });

  it('refuses DER that is not a SubjectPublicKeyInfo', () => {
    const notSpki = [
      Buffer.from('3003020101', 'hex'),
      Buffer.from('30050201010500', 'hex'),
      Buffer.from('0500', 'hex'),
    ];
    for (const der of notSpki) {
      assert.throws(() => computeSubjectKeyIdentifier(der), /not a SubjectPublicKeyInfo/);
    }
    assert.throws(() => computeSubjectKeyIdentifier(Buffer.from('30ff', 'hex')));
  });
});
