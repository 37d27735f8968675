import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRepeatedLineThrottle } from '../../src/cli/throttle-repeated-lines.js';
import { describeRequestFailure } from '../../src/http2/describe-request-failure.js';
import { describeClientTlsFailure } from '../../src/listener/describe-client-tls-failure.js';
import {
  canonicalizeIp,
  detectForwardingLoop,
  type OwnAddresses,
} from '../../src/listener/detect-forwarding-loop.js';
import { createHopMarker } from '../../src/listener/hop-marker.js';

const own = (address: string, interfaceAddresses: string[] = []): OwnAddresses => ({
  listeners: [{ address, port: 8080 }],
  interfaceAddresses,
});

describe('canonicalizeIp', () => {
  it('gives one text for every spelling of an address, IPv4-mapped IPv6 as IPv4', () => {
    for (const spelling of [
      '127.0.0.1',
      '::ffff:127.0.0.1',
      '::FFFF:7f00:1',
      '[::ffff:127.0.0.1]',
    ]) {
      assert.equal(canonicalizeIp(spelling)?.text, '127.0.0.1', spelling);
    }
    assert.equal(canonicalizeIp('::1')?.loopback, true);
    assert.equal(canonicalizeIp('0.0.0.0')?.unspecified, true);
    assert.equal(canonicalizeIp('example.test'), null);
  });
});

describe('detectForwardingLoop', () => {
  it('finds the exact listen address, localhost for a loopback bind, and nothing else', () => {
    assert.notEqual(detectForwardingLoop('127.0.0.1', 8080, own('127.0.0.1')), null);
    assert.notEqual(detectForwardingLoop('localhost', 8080, own('127.0.0.1')), null);
    assert.notEqual(detectForwardingLoop('LOCALHOST', 8080, own('127.0.0.1')), null);
    assert.equal(detectForwardingLoop('127.0.0.1', 8081, own('127.0.0.1')), null, 'other port');
    assert.equal(detectForwardingLoop('127.0.0.2', 8080, own('127.0.0.1')), null, 'other address');
    assert.equal(detectForwardingLoop('example.test', 8080, own('127.0.0.1')), null, 'a name');
  });

  it('counts every loopback alias and interface address for an any-address bind', () => {
    const any4 = own('0.0.0.0', ['192.0.2.7']);
    for (const host of ['127.0.0.2', '127.255.0.1', '0.0.0.0', '192.0.2.7', 'localhost']) {
      assert.notEqual(detectForwardingLoop(host, 8080, any4), null, host);
    }
    assert.equal(detectForwardingLoop('192.0.2.8', 8080, any4), null);
    assert.equal(detectForwardingLoop('::1', 8080, any4), null, '0.0.0.0 takes IPv4 only');
    const any6 = own('::', ['2001:db8::7']);
    for (const host of ['::1', '127.0.0.1', '[2001:db8::7]', '::ffff:127.0.0.3']) {
      assert.notEqual(detectForwardingLoop(host, 8080, any6), null, host);
    }
  });
});

describe('createHopMarker', () => {
  it('recognises its own Via entry among others, not inside a comment', () => {
    const marker = createHopMarker(new Uint8Array([1, 2, 3, 4, 5, 6]));
    assert.equal(marker.viaEntry, '1.1 grpctap-010203040506');
    assert.ok(marker.isCarriedBy(['1.0 fred, 1.1 GRPCTAP-010203040506 (grpctap)']));
    assert.ok(!marker.isCarriedBy(['1.1 other (grpctap-010203040506)']));
    assert.ok(!marker.isCarriedBy(['1.1 grpctap-0102030405ff']));
    assert.ok(!marker.isCarriedBy([]));
  });
});

describe('describeRequestFailure', () => {
  it('names the upstream once, whether or not the reason already does', () => {
    const request = { method: 'GET', path: '/x', upstream: 'localhost:50999' };
    assert.equal(
      describeRequestFailure(request, 'localhost:50999 refused the connection'),
      'GET /x: localhost:50999 refused the connection',
    );
    assert.equal(
      describeRequestFailure(request, 'timed out'),
      'GET /x → localhost:50999: timed out',
    );
    const long = describeRequestFailure({ ...request, path: `/${'a'.repeat(500)}` }, 'timed out');
    assert.match(long, /… \(501 characters\) → localhost:50999: timed out$/);
  });
});

describe('describeClientTlsFailure', () => {
  it('turns a certificate alert into one line saying how to trust the CA', () => {
    const error = Object.assign(new Error('ssl3_read_bytes:tlsv1 alert unknown ca'), {
      code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
    });
    const line = describeClientTlsFailure(
      { client: '127.0.0.1:5000', serverName: 'api.test', mintedFor: 'api.test' },
      error,
    );
    assert.equal(
      line,
      `client 127.0.0.1:5000 (SNI api.test) rejected grpctap's certificate (unknown_ca): it does not trust the grpctap CA; run "grpctap ca" to see how`,
    );
  });
});

describe('createRepeatedLineThrottle', () => {
  it('writes a line once per window and then how many repeats there were', () => {
    const written: string[] = [];
    const throttle = createRepeatedLineThrottle((line) => written.push(line), {
      windowMs: 60_000,
      maxTracked: 2,
    });
    for (let i = 0; i < 5; i++) throttle.log('refused');
    throttle.log('other');
    throttle.log('third');
    throttle.log('third');
    throttle.flush();
    assert.deepEqual(written, [
      'refused',
      'other',
      'third',
      'third',
      'refused (4 more times in 60 s)',
    ]);
  });
});
