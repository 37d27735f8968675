/**
 * TLS alerts a client sends when it refuses the server's certificate (RFC 8446 §6.2), by the
 * error code Node gives them on the server side (`ERR_SSL_` + OpenSSL's reason).
 */
const CERTIFICATE_ALERTS: Readonly<Record<string, string>> = {
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'unknown_ca',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'bad_certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'certificate_unknown',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'unsupported_certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'certificate_expired',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'certificate_revoked',
};

/** Who the failed handshake was with, for the log line. */
export interface ClientHandshake {
  /** `address:port` of the client (read when the connection was accepted). */
  readonly client: string;
  /** The SNI the client sent, or null. */
  readonly serverName: string | null;
  /** The name the leaf was minted for (the SNI, else the CONNECT host). */
  readonly mintedFor: string;
}

/** What to do about a client that does not trust the CA. */
const TRUST_HINT = 'it does not trust the grpctap CA; run "grpctap ca" to see how';

/**
 * The one log line for a failed client handshake. A client that rejects the minted leaf with a
 * certificate alert gets a line that says so and how to trust the CA, not OpenSSL's raw text;
 * other failures keep Node's message.
 */
export function describeClientTlsFailure(handshake: ClientHandshake, error: unknown): string {
  const who =
    handshake.serverName === null
      ? `client ${handshake.client} (no SNI, certificate for ${handshake.mintedFor})`
      : `client ${handshake.client} (SNI ${handshake.serverName})`;
  const code = (error as { code?: unknown } | null)?.code;
  const alert = typeof code === 'string' ? CERTIFICATE_ALERTS[code] : undefined;
  if (alert !== undefined) return `${who} rejected grpctap's certificate (${alert}): ${TRUST_HINT}`;
  const message = error instanceof Error ? error.message : String(error);
  return `TLS handshake with ${who} failed: ${message.trim()}`;
}

/**
 * The line for a client that finished the handshake and closed without sending a byte: what
 * clients that check the certificate only after the handshake (Node's TLS, grpc-js) do when they
 * do not trust it.
 */
export function describeSilentClose(handshake: ClientHandshake): string {
  const who =
    handshake.serverName === null
      ? `client ${handshake.client} (no SNI, certificate for ${handshake.mintedFor})`
      : `client ${handshake.client} (SNI ${handshake.serverName})`;
  return `${who} closed the connection right after the TLS handshake without sending a request: if it rejected grpctap's certificate, ${TRUST_HINT}`;
}
