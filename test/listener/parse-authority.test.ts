import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthority } from '../../src/listener/parse-authority.js';

describe('parseAuthority', () => {
  it('parses a host name and port, lower-casing the host', () => {
    assert.deepEqual(parseAuthority('API.Example.com:443'), { host: 'api.example.com', port: 443 });
    assert.deepEqual(parseAuthority('localhost:50051'), { host: 'localhost', port: 50051 });
    assert.deepEqual(parseAuthority('svc_name.internal:1'), { host: 'svc_name.internal', port: 1 });
  });

  it('parses IPv4 addresses', () => {
    assert.deepEqual(parseAuthority('127.0.0.1:8443'), { host: '127.0.0.1', port: 8443 });
    assert.deepEqual(parseAuthority('255.255.255.255:65535'), {
      host: '255.255.255.255',
      port: 65535,
    });
  });

  it('parses bracketed IPv6 addresses and returns them without brackets', () => {
    assert.deepEqual(parseAuthority('[::1]:443'), { host: '::1', port: 443 });
    assert.deepEqual(parseAuthority('[2001:DB8::A]:8080'), { host: '2001:db8::a', port: 8080 });
    assert.deepEqual(parseAuthority('[::ffff:192.0.2.1]:80'), {
      host: '::ffff:192.0.2.1',
      port: 80,
    });
  });

  it('uses the default port only when the authority has none', () => {
    assert.deepEqual(parseAuthority('example.com', 443), { host: 'example.com', port: 443 });
    assert.deepEqual(parseAuthority('[::1]', 80), { host: '::1', port: 80 });
    assert.deepEqual(parseAuthority('example.com:8443', 443), { host: 'example.com', port: 8443 });
    assert.equal(parseAuthority('example.com'), null);
    assert.equal(parseAuthority('example.com:', 443), null);
  });

  it('keeps the trailing dot of a name and drops it from an IPv4 address', () => {
    assert.deepEqual(parseAuthority('example.com.:443'), { host: 'example.com.', port: 443 });
    assert.deepEqual(parseAuthority('10.0.0.1.:443'), { host: '10.0.0.1', port: 443 });
  });

  it('rejects ports outside 1..65535 and ports that are not plain digits', () => {
    for (const value of [
      'a.test:0',
      'a.test:65536',
      'a.test:99999',
      'a.test:-1',
      'a.test:+80',
      'a.test:8o',
      'a.test:123456',
      'a.test: 80',
    ]) {
      assert.equal(parseAuthority(value), null, value);
    }
  });

  it('rejects empty hosts, userinfo, spaces and junk characters', () => {
    for (const value of [
      '',
      ':443',
      '[]:443',
      'user@example.com:443',
      'user:pass@example.com:443',
      'exa mple.com:443',
      ' example.com:443',
      'example.com:443 ',
      'example.com/path:443',
      'exa%6dple.com:443',
      'example..com:443',
      '.example.com:443',
      '-example.com:443',
      'example.com:443:443',
    ]) {
      assert.equal(parseAuthority(value), null, JSON.stringify(value));
    }
  });

  it('rejects unbracketed or malformed IPv6 and zone identifiers', () => {
    for (const value of [
      '::1:443',
      '[::1:443',
      '[::1]443',
      '[::1]x:443',
      '[1::2::3]:443',
      '[fe80::1%25eth0]:443',
      '[example.com]:443',
      '[1.2.3.4]:443',
    ]) {
      assert.equal(parseAuthority(value), null, value);
    }
  });

  it('rejects numeric hosts that are not dotted-quad IPv4', () => {
    for (const value of [
      '1.2.3:443',
      '256.1.1.1:443',
      '01.2.3.4:443',
      '0x7f.0.0.1:443',
      '2130706433:443',
      'example.123:443',
    ]) {
      assert.equal(parseAuthority(value), null, value);
    }
  });

  it('rejects host names longer than 253 characters or with labels over 63', () => {
    assert.equal(parseAuthority(`${'a'.repeat(64)}.test:443`), null);
    assert.notEqual(parseAuthority(`${'a'.repeat(63)}.test:443`), null);
    const long = `${'abcdefghi.'.repeat(25)}test`;
    assert.equal(long.length > 253, true);
    assert.equal(parseAuthority(`${long}:443`), null);
  });
});
