/**
 * gRPC status codes.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/statuscodes.md
 */

/** Status names indexed by code, 0 (`OK`) to 16 (`UNAUTHENTICATED`). */
const STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

export const STATUS_OK = 0;
export const STATUS_UNKNOWN = 2;
export const STATUS_PERMISSION_DENIED = 7;
export const STATUS_UNIMPLEMENTED = 12;
export const STATUS_INTERNAL = 13;
export const STATUS_UNAVAILABLE = 14;
export const STATUS_UNAUTHENTICATED = 16;

/** The canonical name of a status code; codes outside 0–16 read `CODE_<n>`. */
export function getStatusName(code: number): string {
  return STATUS_NAMES[code] ?? `CODE_${code}`;
}

/**
 * The status a gRPC client derives from an HTTP status when the response carries no
 * `grpc-status`. 200 maps to UNKNOWN here because reaching this function means the status is
 * missing, which is itself an error.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md
 */
export function mapHttpStatusToGrpc(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return STATUS_INTERNAL;
    case 401:
      return STATUS_UNAUTHENTICATED;
    case 403:
      return STATUS_PERMISSION_DENIED;
    case 404:
      return STATUS_UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return STATUS_UNAVAILABLE;
    default:
      return STATUS_UNKNOWN;
  }
}
