import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDnsName } from '../../src/tls/is-dns-name.js';
import { normalizeHost } from '../../src/tls/normalize-host.js';

describe('normalizeHost', () => {
  it('lower-cases, drops the trailing dot and strips IPv6 brackets', () => {
    assert.equal(normalizeHost('Example.COM.'), 'example.com');
    assert.equal(normalizeHost('[2001:DB8::1]'), '2001:db8::1');
    assert.equal(normalizeHost('127.0.0.1'), '127.0.0.1');
  });
});

describe('isDnsName', () => {
  it('accepts host names made of letters, digits, hyphens and underscores', () => {
    for (const name of [
      'localhost',
      'a.b',
      'xn--bcher-kva.example',
      '_grpc._tcp.example',
      `${'a'.repeat(63)}.test`,
    ]) {
      assert.equal(isDnsName(name), true, name);
    }
  });

  it('rejects empty labels, edge hyphens, long labels and long names', () => {
    for (const name of [
      '',
      '.',
      'a..b',
      '.a',
      'a.',
      '-a.test',
      'a-.test',
      'a b',
      'a*b',
      `${'a'.repeat(64)}.test`,
      `${'a.'.repeat(127)}ab`,
    ]) {
      assert.equal(isDnsName(name), false, name);
    }
  });
});
