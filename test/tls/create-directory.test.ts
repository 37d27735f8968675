import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDirectory } from '../../src/tls/create-directory.js';

describe('createDirectory', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'grpctap-mkdir-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates every missing level with the given mode', async () => {
    const dir = join(root, 'a', 'b', 'c');
    assert.equal(await createDirectory(dir, 0o700), null);
    for (const level of [join(root, 'a'), join(root, 'a', 'b'), dir]) {
      assert.equal((await stat(level)).mode & 0o777, 0o700, level);
    }
  });

  it('accepts a directory that exists, and one created by a concurrent call', async () => {
    assert.equal(await createDirectory(root, 0o700), null);
    const dir = join(root, 'together', 'x');
    const results = await Promise.all([createDirectory(dir, 0o700), createDirectory(dir, 0o700)]);
    assert.deepEqual(results, [null, null]);
  });

  it('names a file standing where a directory should be', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, '');
    assert.deepEqual(await createDirectory(join(file, 'certs', 'deeper'), 0o700), {
      path: file,
      reason: 'it exists and is not a directory',
    });
  });

  it(
    'fails once under /proc, where recursive mkdir loops forever',
    { timeout: 10_000 },
    async () => {
      const failure = await createDirectory('/proc/self/grpctap-nowhere/certs', 0o700);
      assert.equal(failure?.path, '/proc/self/grpctap-nowhere');
      assert.match(failure?.reason ?? '', /^ENOENT: no such file or directory, mkdir/);
    },
  );
});
