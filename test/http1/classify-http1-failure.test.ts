import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseClientErrorResponse,
  classifyHttp1UpstreamError,
} from '../../src/http1/classify-http1-failure.js';

function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyHttp1UpstreamError', () => {
  it('names an invalid upstream response a protocol error', () => {
    const failure = classifyHttp1UpstreamError(
      nodeError('HPE_INVALID_CONSTANT', 'Expected HTTP/'),
      'h:1',
    );
    assert.equal(failure.code, 'UPSTREAM_PROTOCOL_ERROR');
    assert.equal(failure.side, 'upstream');
    assert.match(failure.reason, /h:1 sent an invalid HTTP\/1\.1 response/);
  });

  it('says clearly when the upstream certificate failed verification and what to do', () => {
    const failure = classifyHttp1UpstreamError(
      nodeError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
      'h:443',
    );
    assert.equal(failure.code, 'UPSTREAM_TLS_VERIFY_FAILED');
    assert.match(failure.reason, /certificate verification failed/);
    assert.match(failure.reason, /--upstream-ca/);
    assert.match(failure.reason, /--upstream-insecure/);
  });

  it('shares the connection error codes of the HTTP/2 side', () => {
    assert.equal(
      classifyHttp1UpstreamError(nodeError('ECONNREFUSED', 'x'), 'h:1').code,
      'UPSTREAM_REFUSED',
    );
    assert.equal(
      classifyHttp1UpstreamError(nodeError('ENOTFOUND', 'x'), 'h:1').code,
      'UPSTREAM_DNS_FAILED',
    );
    assert.equal(
      classifyHttp1UpstreamError(nodeError('ECONNRESET', 'socket hang up'), 'h:1').code,
      'UPSTREAM_CONNECTION_RESET',
    );
  });
});

describe('chooseClientErrorResponse', () => {
  it('answers parse errors and timeouts like Node does when nobody listens', () => {
    assert.deepEqual(chooseClientErrorResponse('HPE_INVALID_METHOD'), {
      status: 400,
      reason: 'Bad Request',
    });
    assert.equal(chooseClientErrorResponse('HPE_HEADER_OVERFLOW')?.status, 431);
    assert.equal(chooseClientErrorResponse('HPE_CHUNK_EXTENSIONS_OVERFLOW')?.status, 413);
    assert.equal(chooseClientErrorResponse('ERR_HTTP_REQUEST_TIMEOUT')?.status, 408);
  });

  it('does not answer a connection that failed below HTTP', () => {
    assert.equal(chooseClientErrorResponse('ECONNRESET'), null);
    assert.equal(chooseClientErrorResponse('EPIPE'), null);
    assert.equal(chooseClientErrorResponse('ERR_SSL_WRONG_VERSION_NUMBER'), null);
    assert.equal(chooseClientErrorResponse(undefined), null);
  });
});
