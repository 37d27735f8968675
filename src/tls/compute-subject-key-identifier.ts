import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { parseDer } from './parse-der.js';

/**
 * Computes a key identifier by RFC 5280 §4.2.1.2 method 1: the SHA-1 of the subjectPublicKey
 * BIT STRING contents, without its unused-bits octet. Works for every key type: for RSA those
 * contents are the PKCS#1 RSAPublicKey DER, for ECDSA the uncompressed point `04 || X || Y`.
 *
 * @param subjectPublicKeyInfo the key as SPKI DER (`KeyObject.export({type: 'spki', format:
 *   'der'})`).
 * @throws Error when the bytes are not a SubjectPublicKeyInfo.
 */
export function computeSubjectKeyIdentifier(subjectPublicKeyInfo: Uint8Array): Buffer {
  const spki = parseDer(subjectPublicKeyInfo);
  const subjectPublicKey = Array.isArray(spki.value) ? spki.value[1] : undefined;
  if (
    subjectPublicKey?.type !== forge.asn1.Type.BITSTRING ||
    typeof subjectPublicKey.value !== 'string'
  ) {
    throw new Error('not a SubjectPublicKeyInfo: no subjectPublicKey BIT STRING');
  }
  return createHash('sha1')
    .update(Buffer.from(subjectPublicKey.value.slice(1), 'binary'))
    .digest();
}
