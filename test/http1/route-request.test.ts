import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeRequest } from '../../src/http1/route-request.js';

const TARGET = { host: 'up.example', port: 8443, tls: true, servername: 'up.example' } as const;

describe('routeRequest with a target', () => {
  it('sends the request-target unchanged to the target and keeps Host', () => {
    assert.deepEqual(routeRequest('/a/../b?x=%20', TARGET, 'front.example'), {
      kind: 'forward',
      destination: TARGET,
      path: '/a/../b?x=%20',
      authority: 'front.example',
      hostOverride: null,
    });
  });

  it('names the target as authority when the request has no Host', () => {
    const route = routeRequest('/', { host: '::1', port: 80, tls: false }, undefined);
    assert.equal(route.kind === 'forward' && route.authority, '[::1]:80');
  });
});

describe('routeRequest in forward-proxy mode', () => {
  it('turns an absolute http URL into origin-form and a new Host', () => {
    assert.deepEqual(routeRequest('http://Example.COM:8080/p/../q?x=1', null, 'ignored'), {
      kind: 'forward',
      destination: { host: 'example.com', port: 8080, tls: false },
      path: '/p/../q?x=1',
      authority: 'Example.COM:8080',
      hostOverride: 'Example.COM:8080',
    });
  });

  it('defaults the port to 80 and the path to /', () => {
    const route = routeRequest('HTTP://127.0.0.1', null, undefined);
    assert.equal(route.kind, 'forward');
    if (route.kind !== 'forward') return;
    assert.deepEqual(route.destination, { host: '127.0.0.1', port: 80, tls: false });
    assert.equal(route.path, '/');
  });

  it('adds a slash before a bare query and drops a fragment', () => {
    const route = routeRequest('http://h?q=1#frag', null, undefined);
    assert.equal(route.kind === 'forward' && route.path, '/?q=1');
  });

  it('strips userinfo from the authority and unbrackets IPv6 hosts', () => {
    const route = routeRequest('http://user:pw@[::1]:9000/x', null, undefined);
    assert.equal(route.kind, 'forward');
    if (route.kind !== 'forward') return;
    assert.deepEqual(route.destination, { host: '::1', port: 9000, tls: false });
    assert.equal(route.hostOverride, '[::1]:9000');
  });

  it('refuses an https URL: it needs a CONNECT tunnel', () => {
    const route = routeRequest('https://h/x', null, undefined);
    assert.equal(route.kind, 'reject');
    if (route.kind !== 'reject') return;
    assert.equal(route.status, 400);
    assert.equal(route.code, 'HTTPS_NEEDS_CONNECT');
    assert.match(route.reason, /CONNECT/);
  });

  it('refuses origin-form, explaining that this is a proxy', () => {
    const route = routeRequest('/x', null, 'h');
    assert.equal(route.kind === 'reject' && route.code, 'NOT_A_PROXY_REQUEST');
    assert.match(route.kind === 'reject' ? route.reason : '', /is a proxy/);
  });

  it('refuses other schemes and unparsable authorities', () => {
    const ftp = routeRequest('ftp://h/x', null, undefined);
    assert.equal(ftp.kind === 'reject' && ftp.code, 'UNSUPPORTED_SCHEME');
    const bad = routeRequest('http://exa mple/', null, undefined);
    assert.equal(bad.kind === 'reject' && bad.code, 'INVALID_REQUEST_TARGET');
    const empty = routeRequest('http:///x', null, undefined);
    assert.equal(empty.kind === 'reject' && empty.code, 'INVALID_REQUEST_TARGET');
  });
});
