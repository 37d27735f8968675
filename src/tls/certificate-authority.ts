import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { dirname } from 'node:path';
import forge from 'node-forge';
import { CaError } from './ca-error.js';

/**
 * The loaded grpctap certificate authority. The private key is only available as a `KeyObject`
 * for signing; its PEM is never kept or exposed.
 */
export interface CertificateAuthority {
  /** The CA certificate, PEM encoded. */
  readonly certPem: string;
  /** The same certificate parsed by node-forge, used as issuer when minting leaves. */
  readonly cert: forge.pki.Certificate;
  /** The same certificate parsed by Node. */
  readonly x509: X509Certificate;
  /** The CA's RSA private key. */
  readonly key: KeyObject;
  /** Absolute path of `ca.pem`. */
  readonly certPath: string;
  /** Absolute path of `ca-key.pem`. */
  readonly keyPath: string;
  /** SHA-256 fingerprint as colon-separated upper-case hex, like `X509Certificate.fingerprint256`. */
  readonly fingerprint256: string;
}

/** Where the two CA files live (absolute paths). */
export interface CaPaths {
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * Parses and cross-checks the CA certificate and key read from disk.
 *
 * @throws CaError `CA_CORRUPT`, `CA_UNSUPPORTED`, `CA_NOT_CA` or `CA_KEY_MISMATCH`, naming the
 *   file at fault and the fix. Parsing never modifies the files.
 */
export function parseCertificateAuthority(
  certText: string,
  keyText: string,
  paths: CaPaths,
): CertificateAuthority {
  const { certPath, keyPath } = paths;
  const fix = describeFix(paths);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certText);
  } catch (cause) {
    throw new CaError(
      'CA_CORRUPT',
      certPath,
      `${certPath} is not a PEM certificate (${describe(cause)}); ${fix}`,
      { cause },
    );
  }
  if (x509.publicKey.asymmetricKeyType !== 'rsa') {
    throw new CaError(
      'CA_UNSUPPORTED',
      certPath,
      `${certPath} uses a ${x509.publicKey.asymmetricKeyType ?? 'unknown'} key; grpctap needs an RSA CA; ${fix}`,
    );
  }
  if (!x509.ca) {
    throw new CaError(
      'CA_NOT_CA',
      certPath,
      `${certPath} is not a CA certificate (basicConstraints CA:true is missing); ${fix}`,
    );
  }
  let cert: forge.pki.Certificate;
  try {
    cert = forge.pki.certificateFromPem(x509.toString());
  } catch (cause) {
    throw new CaError(
      'CA_CORRUPT',
      certPath,
      `${certPath} cannot be read as an X.509 certificate (${describe(cause)}); ${fix}`,
      { cause },
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch (cause) {
    throw new CaError(
      'CA_CORRUPT',
      keyPath,
      `${keyPath} is not an unencrypted PEM private key (${describe(cause)}); ${fix}`,
      { cause },
    );
  }
  if (!x509.checkPrivateKey(key)) {
    throw new CaError(
      'CA_KEY_MISMATCH',
      keyPath,
      `${keyPath} does not belong to the certificate in ${certPath}; ${fix}`,
    );
  }
  return {
    certPem: x509.toString(),
    cert,
    x509,
    key,
    certPath,
    keyPath,
    fingerprint256: x509.fingerprint256,
  };
}

/** The standard remedy, phrased once so every CaError gives the same advice. */
export function describeFix(paths: CaPaths): string {
  return (
    `delete both ca.pem and ca-key.pem in ${dirname(paths.certPath)} to create a new CA ` +
    '(clients must then trust the new ca.pem), or restore the original pair'
  );
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
