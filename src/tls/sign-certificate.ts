import { type KeyObject, randomBytes, sign } from 'node:crypto';
import forge from 'node-forge';
import { parseDer } from './parse-der.js';

type TbsBuilder = (cert: forge.pki.Certificate) => forge.asn1.Asn1;

/** `pki.getTBSCertificate` exists in node-forge but is missing from its type definitions. */
const getTbsCertificate = (forge.pki as unknown as { getTBSCertificate: TbsBuilder })
  .getTBSCertificate;

const SHA256_WITH_RSA_OID = forge.pki.oids.sha256WithRSAEncryption ?? '1.2.840.113549.1.1.11';

/** AlgorithmIdentifier `sha256WithRSAEncryption` with NULL parameters (RFC 4055 §5). */
const SHA256_WITH_RSA_DER = Buffer.from('300d06092a864886f70d01010b0500', 'hex');

/**
 * Position of subjectPublicKeyInfo in the TBSCertificate node-forge builds, which always carries
 * the version field (RFC 5280 §4.1): version, serialNumber, signature, issuer, validity, subject.
 */
const SUBJECT_PUBLIC_KEY_INFO_INDEX = 6;

/** Stands in for the subject key while node-forge builds a TBSCertificate; cheap to encode. */
const PLACEHOLDER_PUBLIC_KEY = forge.pki.setRsaPublicKey(
  forge.jsbn.BigInteger.ONE,
  forge.jsbn.BigInteger.ONE,
);

/**
 * Signs a node-forge certificate with SHA-256 / RSA PKCS#1 v1.5 using Node's native crypto, and
 * returns the complete certificate in DER.
 *
 * node-forge's own `cert.sign` is pure JavaScript (about 27 ms per RSA-2048 signature) and
 * defaults to SHA-1; native signing of the same TBSCertificate bytes costs about 0.25 ms. The
 * signature, algorithm OIDs, digest and cached TBSCertificate are set on `cert`, so node-forge's
 * own PEM export and `verify` see a consistent, signed certificate.
 *
 * @param cert a certificate whose fields, RSA public key and extensions are final.
 * @param issuerKey the issuer's RSA private key.
 */
export function signCertificate(cert: forge.pki.Certificate, issuerKey: KeyObject): Buffer {
  cert.signatureOid = SHA256_WITH_RSA_OID;
  cert.siginfo.algorithmOid = SHA256_WITH_RSA_OID;
  cert.md = forge.md.sha256.create();
  cert.tbsCertificate = getTbsCertificate(cert);
  const tbsDer = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, issuerKey);
  cert.signature = signature.toString('binary');
  return encodeCertificate(tbsDer, signature);
}

/**
 * Signs a certificate for a subject key node-forge cannot encode (its `publicKeyToAsn1` is
 * RSA-only), such as ECDSA P-256: the TBSCertificate is built from `cert` with
 * `subjectPublicKeyInfo` in place of `cert.publicKey`, then signed like {@link signCertificate}.
 *
 * `cert` serves as a template: its `publicKey` and signature algorithm are overwritten and it is
 * not itself signed.
 *
 * @param subjectPublicKeyInfo the subject key as SPKI DER, as `KeyObject.export({type: 'spki',
 *   format: 'der'})` returns it; any key type.
 * @param issuerKey the issuer's RSA private key.
 * @returns the complete certificate in DER.
 */
export function signCertificateForKey(
  cert: forge.pki.Certificate,
  subjectPublicKeyInfo: Uint8Array,
  issuerKey: KeyObject,
): Buffer {
  cert.siginfo.algorithmOid = SHA256_WITH_RSA_OID;
  cert.publicKey = PLACEHOLDER_PUBLIC_KEY;
  const tbs = getTbsCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  fields[SUBJECT_PUBLIC_KEY_INFO_INDEX] = parseDer(subjectPublicKeyInfo);
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  return encodeCertificate(tbsDer, sign('sha256', tbsDer, issuerKey));
}

/** Encodes DER bytes as a PEM block with 64-character lines (RFC 7468 §2). */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * Creates a random, positive, 16-byte certificate serial number as node-forge expects it (hex).
 * The top byte is kept in 0x01..0x7f so the DER INTEGER is positive and minimally encoded.
 */
export function createSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/**
 * `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }`
 * (RFC 5280 §4.1), the signature algorithm being sha256WithRSAEncryption.
 */
function encodeCertificate(tbsDer: Buffer, signature: Buffer): Buffer {
  const signatureValue = encodeTlv(0x03, Buffer.concat([Buffer.of(0), signature]));
  return encodeTlv(0x30, Buffer.concat([tbsDer, SHA256_WITH_RSA_DER, signatureValue]));
}

/** One DER element: tag, definite length (short or long form, X.690 §8.1.3), contents. */
function encodeTlv(tag: number, contents: Buffer): Buffer {
  const length = contents.length;
  if (length < 0x80) {
    return Buffer.concat([Buffer.of(tag, length), contents]);
  }
  const lengthBytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) {
    lengthBytes.unshift(rest % 256);
  }
  return Buffer.concat([Buffer.of(tag, 0x80 | lengthBytes.length, ...lengthBytes), contents]);
}
