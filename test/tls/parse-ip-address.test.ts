import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseIpAddress } from '../../src/tls/parse-ip-address.js';

const hex = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : Buffer.from(bytes).toString('hex');

describe('parseIpAddress', () => {
  it('parses IPv4 addresses into four bytes', () => {
    assert.equal(hex(parseIpAddress('127.0.0.1')), '7f000001');
    assert.equal(hex(parseIpAddress('0.0.0.0')), '00000000');
    assert.equal(hex(parseIpAddress('255.255.255.255')), 'ffffffff');
  });

  it('parses IPv6 addresses, compressed or not, into sixteen bytes', () => {
    assert.equal(hex(parseIpAddress('::1')), `${'0'.repeat(30)}01`);
    assert.equal(hex(parseIpAddress('::')), '0'.repeat(32));
    assert.equal(
      hex(parseIpAddress('2001:DB8::8:800:200C:417A')),
      '20010db80000000000080800200c417a',
    );
    assert.equal(hex(parseIpAddress('1:2:3:4:5:6:7:8')), '00010002000300040005000600070008');
    assert.equal(hex(parseIpAddress('1:2:3:4:5:6:7::')), '00010002000300040005000600070000');
    assert.equal(hex(parseIpAddress('::ffff:192.0.2.1')), '00000000000000000000ffffc0000201');
    assert.equal(hex(parseIpAddress('64:ff9b::1.2.3.4')), '0064ff9b000000000000000001020304');
  });

  it('rejects text that is not an IP literal', () => {
    for (const text of [
      '',
      'example.com',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.4 ',
      '[::1]',
      'fe80::1%eth0',
      '1::2::3',
      ':1::2',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '12345::',
      '::1.2.3.4:5',
      '1.2.3.4::',
      'g::1',
    ]) {
      assert.equal(parseIpAddress(text), null, JSON.stringify(text));
    }
  });

  it('agrees with node:net isIP on random IPv6 and IPv4 texts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })), (text) => {
        const parsed = parseIpAddress(text);
        const kind = isIP(text);
        if (kind === 0) {
          assert.equal(parsed, null);
        } else if (!/(^|[.:])0\d/.test(text)) {
          assert.equal(parsed?.length, kind === 4 ? 4 : 16, text);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
