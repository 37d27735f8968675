import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getStatusName, mapHttpStatusToGrpc } from '../../src/grpc/grpc-status.js';

describe('getStatusName', () => {
  it('names the seventeen canonical codes', () => {
    const names = Array.from({ length: 17 }, (_, code) => getStatusName(code));
    assert.deepEqual(names, [
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
    ]);
  });

  it('names other codes CODE_<n>', () => {
    assert.equal(getStatusName(17), 'CODE_17');
    assert.equal(getStatusName(1000), 'CODE_1000');
  });
});

describe('mapHttpStatusToGrpc', () => {
  it('follows the gRPC HTTP-to-status table and defaults to UNKNOWN', () => {
    const table = [400, 401, 403, 404, 429, 502, 503, 504, 500, 418].map(mapHttpStatusToGrpc);
    assert.deepEqual(table, [13, 16, 7, 12, 14, 14, 14, 14, 2, 2]);
  });
});
