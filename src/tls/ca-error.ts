/**
 * Why the certificate authority in the certs directory cannot be used.
 *
 * - `CA_UNREADABLE`: a file exists but cannot be read (permissions, a directory in its place).
 * - `CA_UNWRITABLE`: the directory or a new file cannot be created (read-only disk, permissions).
 * - `CA_CORRUPT`: a file is not a parsable PEM certificate / private key.
 * - `CA_UNSUPPORTED`: the certificate does not use an RSA key, which leaf signing relies on.
 * - `CA_NOT_CA`: the certificate is not a CA certificate (basicConstraints CA:true missing).
 * - `CA_KEY_MISMATCH`: the private key does not belong to the certificate.
 * - `CA_INCOMPLETE`: only one of the two files exists.
 */
export type CaErrorCode =
  | 'CA_UNREADABLE'
  | 'CA_UNWRITABLE'
  | 'CA_CORRUPT'
  | 'CA_UNSUPPORTED'
  | 'CA_NOT_CA'
  | 'CA_KEY_MISMATCH'
  | 'CA_INCOMPLETE';

/**
 * The one error class of the CA store. The message names the file and says how to fix it;
 * `code` is stable for programs, `file` is the absolute path concerned.
 */
export class CaError extends Error {
  override readonly name = 'CaError';
  readonly code: CaErrorCode;
  readonly file: string;

  constructor(code: CaErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.file = file;
  }
}
