/**
 * Reading the call status from trailers (or from the headers of a trailers-only response).
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#responses
 */
import type { HeaderList } from '../http2/channel-event.js';
import { decodeGrpcMessage } from './decode-grpc-message.js';
import {
  filterHeaders,
  findHeader,
  HEADER_GRPC_MESSAGE,
  HEADER_GRPC_STATUS,
  HEADER_GRPC_STATUS_DETAILS,
} from './grpc-headers.js';
import { getStatusName, STATUS_UNKNOWN } from './grpc-status.js';

/** The status fields of an `end` envelope. */
export interface GrpcStatusFields {
  readonly status: number;
  readonly statusName: string;
  /** Decoded `grpc-message`; when absent and the status had to be inferred, why it was. */
  readonly message: string;
  readonly statusDetails: Uint8Array | null;
  /** The other headers, order and duplicates kept. */
  readonly trailers: HeaderList;
  /** Set when `grpc-status` was present but not a decimal integer. */
  readonly invalidStatus: string | null;
}

const DECIMAL = /^\d{1,10}$/;

/** Base64, padded or not (as gRPC sends `-bin` values), as a plain Uint8Array. */
function decodeBase64(value: string): Uint8Array {
  const buffer = Buffer.from(value, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function isStatusField(name: string): boolean {
  return (
    name === HEADER_GRPC_STATUS ||
    name === HEADER_GRPC_MESSAGE ||
    name === HEADER_GRPC_STATUS_DETAILS
  );
}

/**
 * Reads `grpc-status`, `grpc-message` and `grpc-status-details-bin` from `headers`.
 *
 * A missing `grpc-status` yields `fallbackStatus` and `fallbackMessage` (the caller derives them
 * from the HTTP status, see `mapHttpStatusToGrpc`); one that is not a decimal integer reads as
 * UNKNOWN (2), as gRPC clients do. `grpc-status-details-bin` is base64, padded or not.
 *
 * @param drop - further header names to leave out of `trailers` (pseudo-headers and
 *   `content-type` for a trailers-only response).
 */
export function readGrpcStatus(
  headers: HeaderList,
  fallbackStatus: number,
  fallbackMessage: string,
  drop?: (name: string) => boolean,
): GrpcStatusFields {
  const rawStatus = findHeader(headers, HEADER_GRPC_STATUS);
  const rawMessage = findHeader(headers, HEADER_GRPC_MESSAGE);
  const rawDetails = findHeader(headers, HEADER_GRPC_STATUS_DETAILS);
  let status = fallbackStatus;
  let note = fallbackMessage;
  let invalidStatus: string | null = null;
  if (rawStatus !== undefined) {
    const trimmed = rawStatus.trim();
    if (DECIMAL.test(trimmed)) {
      status = Number(trimmed);
      note = '';
    } else {
      status = STATUS_UNKNOWN;
      invalidStatus = rawStatus;
      note = `invalid grpc-status ${JSON.stringify(rawStatus)}`;
    }
  }
  return {
    status,
    statusName: getStatusName(status),
    message: rawMessage === undefined ? note : decodeGrpcMessage(rawMessage),
    statusDetails: rawDetails === undefined ? null : decodeBase64(rawDetails),
    trailers: filterHeaders(headers, (name) => isStatusField(name) || (drop?.(name) ?? false)),
    invalidStatus,
  };
}
