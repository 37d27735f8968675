import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeBatch, encodeBatch } from '../../src/store/store-batch.js';
import type { StoreOp } from '../../src/store/store-op.js';

describe('store batches', () => {
  test('cross to the store thread whole: JSON fields as they were, byte fields as views of one buffer', () => {
    const pooled = Buffer.from('..payload..raw-bytes..body..');
    const ops: StoreOp[] = [
      { op: 'record', kind: 'gap', time: 1, line: '{"event":"gap"}' },
      {
        op: 'grpcData',
        flowId: 'f',
        time: 2,
        sequence: 1,
        direction: 'send',
        compressed: true,
        wireLength: 9,
        length: 7,
        payload: pooled.subarray(2, 9),
        raw: pooled.subarray(11, 20),
        anomalies: null,
        view: '{"decoded":{}}',
        protobuf: true,
      },
      {
        op: 'grpcData',
        flowId: 'f',
        time: 3,
        sequence: 2,
        direction: 'receive',
        compressed: false,
        wireLength: 0,
        length: null,
        payload: null,
        raw: new Uint8Array(0),
        anomalies: null,
        view: null,
        protobuf: false,
      },
    ];
    const encoded = encodeBatch(ops);
    assert.equal(encoded.bytes.byteLength, 7 + 9, 'only the byte fields, packed');
    // What postMessage does to it: the buffer is transferred, the rest cloned.
    const copy = structuredClone(encoded, { transfer: [encoded.bytes] });
    const decoded = decodeBatch(copy);
    assert.deepEqual(
      decoded.map((op) =>
        op.op === 'grpcData'
          ? {
              ...op,
              payload: op.payload && Buffer.from(op.payload).toString(),
              raw: Buffer.from(op.raw ?? []).toString(),
            }
          : op,
      ),
      [
        ops[0],
        { ...ops[1], payload: 'payload', raw: 'raw-bytes' },
        { ...ops[2], payload: null, raw: '' },
      ],
    );
  });
});
