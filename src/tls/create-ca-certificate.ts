import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { computeSubjectKeyIdentifier } from './compute-subject-key-identifier.js';
import { createSerialNumber, encodePem, signCertificate } from './sign-certificate.js';

/** Common name of the certificate authority grpctap creates. */
export const CA_COMMON_NAME = 'grpctap CA';

/** Validity of a newly created CA, in years. */
export const CA_VALIDITY_YEARS = 10;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Builds and self-signs the grpctap root certificate for an RSA key pair.
 *
 * Profile (RFC 5280 §4.2.1): subject and issuer `CN=grpctap CA, O=grpctap`; random positive
 * 16-byte serial; valid from one day before `now` (tolerates clients whose clock runs behind) for
 * ten years; basicConstraints CA:true and keyUsage keyCertSign + cRLSign, both critical;
 * subjectKeyIdentifier (SHA-1 of the public key, method 1 of §4.2.1.2); SHA-256 signature.
 *
 * @returns the certificate as PEM.
 */
export function createCaCertificate(
  keys: { publicKey: KeyObject; privateKey: KeyObject },
  now: Date = new Date(),
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(
    keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  cert.serialNumber = createSerialNumber();
  cert.validity.notBefore = new Date(now.getTime() - DAY_MS);
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  cert.validity.notAfter = notAfter;
  const name = [
    { shortName: 'CN', value: CA_COMMON_NAME },
    { shortName: 'O', value: 'grpctap' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    {
      name: 'subjectKeyIdentifier',
      value: forge.asn1.create(
        forge.asn1.Class.UNIVERSAL,
        forge.asn1.Type.OCTETSTRING,
        false,
        computeSubjectKeyIdentifier(
          keys.publicKey.export({ type: 'spki', format: 'der' }),
        ).toString('binary'),
      ),
    },
  ]);
  return encodePem('CERTIFICATE', signCertificate(cert, keys.privateKey));
}
