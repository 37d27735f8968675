import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { createLineWriter } from '../../src/output/line-writer.js';

/** A stream that records each write it receives as one batch of chunks (text). */
function createRecordingStream(): { stream: Writable; batches: string[][] } {
  const batches: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      batches.push([chunk.toString()]);
      callback();
    },
    writev(chunks, callback) {
      batches.push(chunks.map(({ chunk }) => (chunk as Buffer).toString()));
      callback();
    },
  });
  return { stream, batches };
}

const unbounded = { maxQueuedBytes: Number.POSITIVE_INFINITY, onError: () => {} };

describe('createLineWriter', () => {
  it('sends the lines of one event-loop turn together, at the end of the turn', async () => {
    const { stream, batches } = createRecordingStream();
    const writer = createLineWriter(stream, unbounded);
    writer.write('a\n');
    writer.write(Buffer.from('b\n'));
    writer.write('c\n');
    assert.deepEqual(batches, [], 'not within the turn that wrote them');
    await nextTurn();
    assert.deepEqual(batches, [['a\n', 'b\n', 'c\n']]);
    writer.write('d\n');
    await nextTurn();
    assert.deepEqual(batches, [['a\n', 'b\n', 'c\n'], ['d\n']]);
    await writer.close();
  });

  it('writes what is still waiting when closed, and ends the stream', async () => {
    const { stream, batches } = createRecordingStream();
    const writer = createLineWriter(stream, unbounded);
    writer.write('a\n');
    writer.write('b\n');
    await writer.close();
    assert.deepEqual(batches.flat(), ['a\n', 'b\n']);
    assert.equal(stream.writableFinished, true);
  });

  it('drops lines over the queue cap and says so once', async () => {
    let drops = 0;
    const stream = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, _callback) {
        // Never completes: every line after the first stays queued.
      },
    });
    const writer = createLineWriter(stream, {
      maxQueuedBytes: 10,
      onError: () => {},
      onDrop: () => {
        drops += 1;
      },
    });
    for (let i = 0; i < 5; i++) writer.write('0123456789\n');
    assert.equal(writer.dropped, 4);
    assert.equal(drops, 1);
  });

  it('reports the first write error once and discards later lines', async () => {
    const errors: string[] = [];
    let writes = 0;
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        writes += 1;
        callback(new Error(`disk full ${writes}`));
      },
    });
    const writer = createLineWriter(stream, {
      maxQueuedBytes: Number.POSITIVE_INFINITY,
      onError: (error) => errors.push(error.message),
    });
    writer.write('a\n');
    await writer.close();
    writer.write('b\n');
    await nextTurn();
    assert.deepEqual(errors, ['disk full 1']);
    assert.equal(writes, 1);
  });
});

describe('createLineWriter gap lines', () => {
  /** A stream that holds every write until `release` is called, then completes them all. */
  function createStalledStream(): { stream: Writable; lines: string[]; release: () => void } {
    const lines: string[] = [];
    let held: (() => void)[] = [];
    let stalled = true;
    const stream = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        if (stalled) held.push(callback);
        else callback();
      },
    });
    const release = (): void => {
      stalled = false;
      const callbacks = held;
      held = [];
      for (const callback of callbacks) callback();
    };
    return { stream, lines, release };
  }

  const formatGap = (gap: { lostRecords: number; lostBytes: number; sink: string }): string =>
    `gap ${gap.sink} ${gap.lostRecords} ${gap.lostBytes}\n`;

  it('writes one gap line with the count and size of what the cap dropped, once the queue drains', async () => {
    const { stream, lines, release } = createStalledStream();
    const writer = createLineWriter(stream, {
      name: 'record',
      maxQueuedBytes: 20,
      onError: () => {},
      formatGap,
    });
    for (let i = 0; i < 10; i++) writer.write(`line ${i}   \n`);
    assert.equal(writer.dropped, 7, 'three 10-byte lines are queued before the cap is passed');
    release();
    await nextTurn();
    writer.write('after\n');
    await writer.close();
    assert.deepEqual(lines, [
      'line 0   \n',
      'line 1   \n',
      'line 2   \n',
      'gap record 7 70\n',
      'after\n',
    ]);
  });

  it('writes a pending gap line at close', async () => {
    const { stream, lines, release } = createStalledStream();
    const writer = createLineWriter(stream, {
      name: 'tail',
      maxQueuedBytes: 5,
      onError: () => {},
      formatGap,
    });
    writer.write('0123456789\n');
    writer.write('dropped\n');
    const closed = writer.close();
    release();
    await closed;
    assert.deepEqual(lines, ['0123456789\n', 'gap tail 1 8\n']);
  });

  it('writes no gap line when nothing was dropped', async () => {
    const { stream, lines, release } = createStalledStream();
    const writer = createLineWriter(stream, { maxQueuedBytes: 1000, onError: () => {}, formatGap });
    writer.write('a\n');
    release();
    await writer.close();
    assert.deepEqual(lines, ['a\n']);
  });
});
