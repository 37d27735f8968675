import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatDuration,
  formatGrpcTimeout,
  parseGrpcTimeout,
} from '../../src/output/format-duration.js';

describe('formatDuration', () => {
  it('writes each range in its own unit', () => {
    const cases: [number, string][] = [
      [0, '0ms'],
      [0.00085, '850ns'],
      [0.85, '850µs'],
      [0.9996, '1ms'],
      [1, '1ms'],
      [12, '12ms'],
      [12.4, '12ms'],
      [999.4, '999ms'],
      [999.6, '1s'],
      [1000, '1s'],
      [1500, '1.5s'],
      [1514, '1.51s'],
      [9890, '9.89s'],
      [9996, '10s'],
      [12_345, '12.3s'],
      [59_940, '59.9s'],
      [59_960, '1m00s'],
      [245_000, '4m05s'],
      [3_599_600, '1h00m'],
      [7_380_000, '2h03m'],
      [86_399_000, '1d00h'],
      [9890 * 60_000, '6d21h'],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms} ms`);
  });

  it('shows a negative or non-finite duration as ?', () => {
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.equal(formatDuration(ms), '?');
    }
  });

  it('never writes more than three digits before a unit below a minute', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 59_000, noNaN: true }), (ms) => {
        assert.match(
          formatDuration(ms),
          /^(\d{1,3}(ns|µs|ms)|\d(\.\d{1,2})?s|\d\d(\.\d)?s|1m00s)$/,
        );
      }),
    );
  });
});

describe('parseGrpcTimeout', () => {
  it('reads every unit of the grammar', () => {
    assert.equal(parseGrpcTimeout('2H'), 7_200_000);
    assert.equal(parseGrpcTimeout('3M'), 180_000);
    assert.equal(parseGrpcTimeout('1S'), 1000);
    assert.equal(parseGrpcTimeout('9890m'), 9890);
    assert.equal(parseGrpcTimeout('850u'), 0.85);
    assert.equal(parseGrpcTimeout('99999999n'), 99.999999);
  });

  it('rejects values off the grammar', () => {
    for (const value of ['', 'S', '1', '1s', '1.5S', '123456789S', '-1S', ' 1S', '1S ', '1h']) {
      assert.equal(parseGrpcTimeout(value), null, JSON.stringify(value));
    }
  });

  it('formats every unit readably', () => {
    const cases: [string, string][] = [
      ['1H', '1h00m'],
      ['90M', '1h30m'],
      ['20S', '20s'],
      ['9890m', '9.89s'],
      ['850u', '850µs'],
      ['850n', '850ns'],
      ['12345678n', '12ms'],
      ['x', '"x"'],
    ];
    for (const [value, text] of cases) assert.equal(formatGrpcTimeout(value), text, value);
  });
});
