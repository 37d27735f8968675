import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyUpstreamError } from '../../src/http2/map-error.js';
import { DEFAULT_HTTP2_LIMITS } from '../../src/http2/session-settings.js';
import { createUpstreamPool } from '../../src/http2/upstream-pool.js';

describe('createUpstreamPool after close', () => {
  it("refuses new streams as the proxy's own shutdown, not as an upstream failure", async () => {
    const pool = createUpstreamPool({
      tls: { rejectUnauthorized: true },
      connectTimeoutMs: 1000,
      log: () => {},
      limits: DEFAULT_HTTP2_LIMITS,
    });
    pool.close();
    const endpoint = { host: '127.0.0.1', port: 1, tls: false, servername: '127.0.0.1' };
    const error = await pool.acquire(endpoint).then(
      () => assert.fail('acquire after close must reject'),
      (rejection: unknown) => rejection,
    );
    const failure = classifyUpstreamError(error, '127.0.0.1:1');
    assert.equal(failure.code, 'PROXY_SHUTDOWN');
    assert.equal(failure.side, 'proxy');
  });
});
