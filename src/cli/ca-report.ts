import type { CertificateAuthority } from '../tls/certificate-authority.js';

/** Address used in the example commands: the default `--listen`. */
const EXAMPLE_PROXY = 'http://127.0.0.1:8080';

/**
 * Builds the text `grpctap ca` prints: whether the CA was just created, where its certificate is,
 * its SHA-256 fingerprint, and how to make each kind of client trust it.
 *
 * Only public information appears (certificate path, fingerprint, expiry), never key material.
 * Paths are quoted for POSIX shells when they contain characters a shell would split on.
 */
export function formatCaReport(ca: CertificateAuthority, created: boolean): string {
  const path = quoteForShell(ca.certPath);
  const lines = [
    created
      ? `Created a new grpctap CA in ${ca.certPath}`
      : `Using the existing grpctap CA in ${ca.certPath}`,
    '',
    `Certificate:  ${ca.certPath}`,
    `SHA-256:      ${ca.fingerprint256}`,
    `Valid until:  ${new Date(ca.x509.validTo).toISOString()}`,
    '',
    'Trust it in the clients whose traffic you intercept:',
    '',
    '  Node.js, grpc-js:',
    `    export NODE_EXTRA_CA_CERTS=${path}`,
    '',
    '  grpcio (Python), gRPC C-core based clients:',
    `    export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=${path}`,
    '',
    '  curl:',
    `    curl --cacert ${path} --proxy ${EXAMPLE_PROXY} https://example.com/`,
    '',
    '  Debian / Ubuntu system store, as root (the .crt extension is required):',
    `    cp ${path} /usr/local/share/ca-certificates/grpctap.crt && update-ca-certificates`,
    '',
    'Anyone holding the private key next to this certificate can impersonate any site to clients',
    'that trust it: keep the directory private and remove the CA from trust stores when done.',
  ];
  return `${lines.join('\n')}\n`;
}

/** Quotes a path for POSIX shells unless it only holds characters no shell treats specially. */
function quoteForShell(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
