import { type KeyObject, randomBytes, sign } from 'node:crypto';
import forge from 'node-forge';

type TbsBuilder = (cert: forge.pki.Certificate) => forge.asn1.Asn1;

/** `pki.getTBSCertificate` exists in node-forge but is missing from its type definitions. */
const getTbsCertificate = (forge.pki as unknown as { getTBSCertificate: TbsBuilder })
  .getTBSCertificate;

const SHA256_WITH_RSA_OID = forge.pki.oids.sha256WithRSAEncryption ?? '1.2.840.113549.1.1.11';

/**
 * Signs a node-forge certificate with SHA-256 / RSA PKCS#1 v1.5 using Node's native crypto, and
 * returns the complete certificate in DER.
 *
 * node-forge's own `cert.sign` is pure JavaScript (about 27 ms per RSA-2048 signature) and
 * defaults to SHA-1; native signing of the same TBSCertificate bytes costs about 0.5 ms. The
 * signature, algorithm OIDs, digest and cached TBSCertificate are set on `cert`, so node-forge's
 * own PEM export and `verify` see a consistent, signed certificate.
 *
 * @param cert a certificate whose fields, public key and extensions are final.
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
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
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
