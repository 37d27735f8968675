import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readRecordFile } from './record-file.js';

describe('readRecordFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpctap-record-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reads a missing file as no records', () => {
    assert.deepEqual(readRecordFile(join(dir, 'missing.ndjson')), []);
  });

  test('returns complete lines only, and the rest of a line once its newline arrives', () => {
    const path = join(dir, 'growing.ndjson');
    writeFileSync(path, '{"n":1}\n{"n":');
    assert.deepEqual(readRecordFile(path), [{ n: 1 }]);
    appendFileSync(path, '2');
    assert.deepEqual(readRecordFile(path), [{ n: 1 }]);
    appendFileSync(path, '}\n\n{"n":3}\n');
    assert.deepEqual(readRecordFile(path), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.deepEqual(readRecordFile(path), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  test('reads a line of several MiB that arrives in pieces', () => {
    const path = join(dir, 'large.ndjson');
    const text = 'x'.repeat(9 << 20);
    writeFileSync(path, `{"big":"${text.slice(0, 5 << 20)}`);
    assert.deepEqual(readRecordFile(path), []);
    appendFileSync(path, `${text.slice(5 << 20)}"}\n{"n":1}\n`);
    const records = readRecordFile(path);
    assert.equal(records.length, 2);
    assert.equal(records[0]?.big, text);
  });

  test('reads a file that was replaced from its start', () => {
    const path = join(dir, 'replaced.ndjson');
    writeFileSync(path, '{"run":1,"n":1}\n{"run":1,"n":2}\n');
    assert.equal(readRecordFile(path).length, 2);
    rmSync(path);
    assert.deepEqual(readRecordFile(path), []);
    writeFileSync(path, '{"run":2,"n":1}\n{"run":2,"n":2}\n{"run":2,"n":3}\n');
    assert.deepEqual(
      readRecordFile(path).map((r) => r.run),
      [2, 2, 2],
    );
    writeFileSync(path, '{"run":3,"n":1}\n');
    assert.deepEqual(readRecordFile(path), [{ run: 3, n: 1 }]);
  });
});
