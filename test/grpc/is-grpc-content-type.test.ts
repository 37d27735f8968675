import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGrpcContentType } from '../../src/grpc/is-grpc-content-type.js';

describe('isGrpcContentType', () => {
  const grpc = [
    'application/grpc',
    'application/grpc+proto',
    'application/grpc+json',
    'application/grpc+thrift',
    'application/grpc; charset=utf-8',
    'application/grpc+proto;charset=utf-8',
    'APPLICATION/GRPC',
    'Application/Grpc+Proto',
    ' application/grpc ',
  ];
  for (const value of grpc) {
    it(`accepts ${JSON.stringify(value)}`, () => assert.equal(isGrpcContentType(value), true));
  }

  const other = [
    undefined,
    '',
    'application/grpc-web',
    'application/grpc-web+proto',
    'application/grpc-web-text',
    'application/grpcx',
    'application/grpc+',
    'application/json',
    'text/plain',
    'application/grpc/extra',
    'xapplication/grpc',
  ];
  for (const value of other) {
    it(`rejects ${JSON.stringify(value)}`, () => assert.equal(isGrpcContentType(value), false));
  }
});
