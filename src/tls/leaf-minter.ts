import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import type { CertificateAuthority } from './certificate-authority.js';
import { computeSubjectKeyIdentifier } from './compute-subject-key-identifier.js';
import { isDnsName } from './is-dns-name.js';
import { normalizeHost } from './normalize-host.js';
import { parseIpAddress } from './parse-ip-address.js';
import { createSerialNumber, encodePem, signCertificateForKey } from './sign-certificate.js';

/** Default leaf validity in days: far below the 398-day limit browsers and Apple platforms apply. */
export const DEFAULT_LEAF_VALIDITY_DAYS = 30;

/** Longest value X.520 allows for a common name (RFC 5280 Appendix A, `ub-common-name`). */
const MAX_COMMON_NAME_LENGTH = 64;
const DAY_MS = 24 * 60 * 60 * 1000;
const GENERAL_NAME_DNS = 2;
const GENERAL_NAME_IP = 7;

/** A minted leaf certificate with the shared leaf private key. */
export interface LeafCertificate {
  /** The normalised host the certificate was minted for. */
  readonly host: string;
  /** The leaf certificate, PEM encoded. */
  readonly certPem: string;
  /**
   * The shared leaf private key, ECDSA P-256 as PKCS#8 PEM; the same string for every leaf of one
   * minter.
   */
  readonly keyPem: string;
  /** End of validity; never later than the CA's own. */
  readonly notAfter: Date;
}

export interface LeafMinter {
  /** Validity of each minted leaf, in days. */
  readonly validityDays: number;
  /** The key every leaf of this minter shares (PKCS#8 PEM), as in {@link LeafCertificate}. */
  readonly keyPem: string;
  /**
   * Mints a server certificate for `host` (a DNS name or an IPv4/IPv6 literal, brackets allowed),
   * signed by the CA.
   * @throws RangeError when `host` is neither a DNS name nor an IP literal.
   */
  mint(host: string): LeafCertificate;
}

export interface LeafMinterOptions {
  /** Leaf validity in days, default {@link DEFAULT_LEAF_VALIDITY_DAYS}. */
  readonly validityDays?: number;
}

/**
 * Creates a minter of per-host server certificates signed by `ca`.
 *
 * One ECDSA P-256 key pair is generated here (natively, well under 1 ms) and shared by every leaf,
 * as mitmproxy and mockttp do: minting then costs only building and signing a certificate. P-256
 * rather than RSA because the proxy signs with the leaf key in every handshake it terminates, and
 * an ECDSA P-256 signature costs about a tenth of an RSA-2048 one. The CA stays RSA and signs each
 * leaf once.
 *
 * Leaf profile: subject CN = host when it fits in 64 characters (otherwise an empty subject and a
 * critical SAN, RFC 5280 §4.2.1.6); SAN dNSName, or iPAddress for IP literals; extKeyUsage
 * serverAuth; keyUsage digitalSignature only, critical (keyEncipherment is RSA key transport, which
 * an EC key cannot do; RFC 5480 §3); basicConstraints CA:false; subjectKeyIdentifier of the leaf
 * key and authorityKeyIdentifier = the CA's subjectKeyIdentifier; random serial; valid from one
 * day before now for `validityDays`, capped at the CA's expiry; sha256WithRSAEncryption signature
 * made natively.
 */
export function createLeafMinter(
  ca: CertificateAuthority,
  options: LeafMinterOptions = {},
): LeafMinter {
  const validityDays = options.validityDays ?? DEFAULT_LEAF_VALIDITY_DAYS;
  if (!Number.isFinite(validityDays) || validityDays <= 0) {
    throw new RangeError(`validityDays must be a positive number, got ${validityDays}`);
  }
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const subjectPublicKeyInfo = publicKey.export({ type: 'spki', format: 'der' });
  const caNotAfter = new Date(ca.x509.validTo).getTime();
  const staticExtensions = createStaticExtensions(
    computeSubjectKeyIdentifier(subjectPublicKeyInfo),
    readCaKeyIdentifier(ca),
  );

  return {
    validityDays,
    keyPem,
    mint(host: string): LeafCertificate {
      const normalized = normalizeHost(host);
      const ipBytes = parseIpAddress(normalized);
      if (ipBytes === null && !isDnsName(normalized)) {
        throw new RangeError(`cannot mint a certificate for ${JSON.stringify(host)}: not a host`);
      }
      const now = Date.now();
      const notAfter = new Date(Math.min(now + validityDays * DAY_MS, caNotAfter));
      const cert = forge.pki.createCertificate();
      cert.serialNumber = createSerialNumber();
      cert.validity.notBefore = new Date(now - DAY_MS);
      cert.validity.notAfter = notAfter;
      const hasCommonName = normalized.length <= MAX_COMMON_NAME_LENGTH;
      cert.setSubject(hasCommonName ? [{ shortName: 'CN', value: normalized }] : []);
      cert.setIssuer(ca.cert.subject.attributes);
      const altName =
        ipBytes === null
          ? { type: GENERAL_NAME_DNS, value: normalized }
          : { type: GENERAL_NAME_IP, value: Buffer.from(ipBytes).toString('binary') };
      cert.setExtensions([
        ...staticExtensions,
        { name: 'subjectAltName', altNames: [altName], critical: !hasCommonName },
      ]);
      const certDer = signCertificateForKey(cert, subjectPublicKeyInfo, ca.key);
      const certPem = encodePem('CERTIFICATE', certDer);
      return { host: normalized, certPem, keyPem, notAfter };
    },
  };
}

/** Extensions identical in every leaf, filled in once so minting does not re-encode them. */
function createStaticExtensions(subjectKeyId: Buffer, authorityKeyId: Buffer): unknown[] {
  const template = forge.pki.createCertificate();
  template.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectKeyIdentifier',
      value: createOctetString(subjectKeyId),
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId.toString('binary') },
  ]);
  return template.extensions;
}

/** The CA's subjectKeyIdentifier, or one computed from its key when the extension is absent. */
function readCaKeyIdentifier(ca: CertificateAuthority): Buffer {
  const extension = ca.cert.getExtension('subjectKeyIdentifier') as
    { subjectKeyIdentifier?: string } | undefined;
  if (extension?.subjectKeyIdentifier !== undefined) {
    return Buffer.from(extension.subjectKeyIdentifier, 'hex');
  }
  return computeSubjectKeyIdentifier(ca.x509.publicKey.export({ type: 'spki', format: 'der' }));
}

function createOctetString(bytes: Buffer): forge.asn1.Asn1 {
  return forge.asn1.create(
    forge.asn1.Class.UNIVERSAL,
    forge.asn1.Type.OCTETSTRING,
    false,
    bytes.toString('binary'),
  );
}
