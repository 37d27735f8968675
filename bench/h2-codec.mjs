/**
 * Throughput of the HTTP/2 codec on this machine: the frame parser, the header block assembler
 * and the HPACK decoder, on byte streams shaped like gRPC traffic. Prints one line per workload
 * (MB/s of input, ns per frame or per block) and a Markdown table for docs/performance.md.
 *
 *   npm run build && node bench/h2-codec.mjs [--grpctap DIR] [--seconds N]
 *
 * Pin it to one CPU to compare builds (`taskset -c 1`). --grpctap is the compiled `src` to load
 * (default dist/src); --seconds is the measuring time per workload (default 2, after a warm-up of
 * the same length).
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    grpctap: { type: 'string', default: path.join(here, '..', 'dist', 'src') },
    seconds: { type: 'string', default: '2' },
  },
});
const load = (file) => import(pathToFileURL(path.join(args.grpctap, 'h2', file)).href);
const { createFrameParser } = await load('create-frame-parser.js');
const { createHeaderBlockAssembler } = await load('create-header-block-assembler.js');
const { createHpackDecoder } = await load('create-hpack-decoder.js');
const { createHpackEncoder } = await load('create-hpack-encoder.js');
const { encodeDataFrames, encodeHeadersFrames, encodeSettingsFrame, encodeWindowUpdateFrame } =
  await load('encode-frame.js');
const { CONNECTION_PREFACE } = await load('frame-constants.js');
const seconds = Number(args.seconds);

/** Splits `bytes` into chunks of `size`, as a TLS socket delivers records. */
function chunksOf(bytes, size) {
  const chunks = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

function requestHeaders(i) {
  return [
    [':method', 'POST'],
    [':scheme', 'https'],
    [':path', `/bench.Echo/Unary${i % 4}`],
    [':authority', 'bench.local:443'],
    ['content-type', 'application/grpc'],
    ['user-agent', 'grpc-node-js/1.14.7'],
    ['grpc-accept-encoding', 'identity,deflate,gzip'],
    ['te', 'trailers'],
    ['x-request-id', `req-${(i * 2654435761) >>> 0}`],
    ['authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.bench.token'],
  ];
}

/** Client→server bytes of `calls` unary calls: HEADERS, one 105-byte DATA with END_STREAM. */
function unaryStream(calls) {
  const encoder = createHpackEncoder();
  const parts = [CONNECTION_PREFACE, encodeSettingsFrame([])];
  const blocks = [];
  for (let i = 0; i < calls; i++) {
    const id = 1 + 2 * i;
    const block = encoder.encode(requestHeaders(i));
    blocks.push(block);
    parts.push(
      encodeHeadersFrames(id, block),
      encodeDataFrames(id, Buffer.alloc(105, i), { endStream: true }),
    );
  }
  return { bytes: Buffer.concat(parts), frames: 2 + 2 * calls, blocks };
}

/** Server→client bytes of one streamed response: 16 KiB DATA frames plus WINDOW_UPDATEs. */
function bulkStream(megabytes) {
  const parts = [encodeSettingsFrame([])];
  const frame = encodeDataFrames(1, Buffer.alloc(16_384, 7));
  const count = (megabytes * 1024 * 1024) / 16_384;
  for (let i = 0; i < count; i++) {
    parts.push(frame);
    if (i % 4 === 3) parts.push(encodeWindowUpdateFrame(0, 65_536));
  }
  return { bytes: Buffer.concat(parts), frames: 1 + count + Math.floor(count / 4) };
}

/** Runs `pass` (one pass over `bytes` input bytes, `units` frames/blocks) for `seconds`. */
function measure(name, unit, bytes, units, pass) {
  const deadline = (ms) => {
    const end = performance.now() + ms;
    let passes = 0;
    while (performance.now() < end) {
      pass();
      passes++;
    }
    return passes;
  };
  deadline(seconds * 1000);
  const start = process.hrtime.bigint();
  const passes = deadline(seconds * 1000);
  const ns = Number(process.hrtime.bigint() - start);
  const result = {
    name,
    mbPerSecond: (bytes * passes) / (ns / 1e9) / 1e6,
    nsPerUnit: ns / (passes * units),
    unit,
  };
  console.error(
    `${name}: ${result.mbPerSecond.toFixed(0)} MB/s, ${result.nsPerUnit.toFixed(0)} ns per ${unit}`,
  );
  return result;
}

function parseAll(chunks, sender) {
  const parser = createFrameParser({ sender });
  let count = 0;
  for (const chunk of chunks) count += parser.push(chunk).frames.length;
  return count;
}

const unary = unaryStream(2000);
const bulk = bulkStream(64);
const unaryChunks = chunksOf(unary.bytes, 16_384);
const bulkChunks = chunksOf(bulk.bytes, 65_536);
const oddChunks = chunksOf(unary.bytes, 1000);
const blockBytes = unary.blocks.reduce((sum, block) => sum + block.length, 0);
const fieldCount = unary.blocks.length * requestHeaders(0).length;
const fresh = unaryStream(1).blocks[0];

const results = [
  measure('parse bulk DATA (64 KiB chunks)', 'frame', bulk.bytes.length, bulk.frames, () =>
    parseAll(bulkChunks, 'server'),
  ),
  measure('parse unary calls (16 KiB chunks)', 'frame', unary.bytes.length, unary.frames, () =>
    parseAll(unaryChunks, 'client'),
  ),
  measure('parse unary calls (1000 B chunks)', 'frame', unary.bytes.length, unary.frames, () =>
    parseAll(oddChunks, 'client'),
  ),
  measure('HPACK decode, indexed (steady state)', 'block', blockBytes, unary.blocks.length, () => {
    const decoder = createHpackDecoder();
    for (const block of unary.blocks) decoder.decode(block);
  }),
  measure('HPACK decode, literals + Huffman (first block)', 'block', fresh.length, 1, () =>
    createHpackDecoder().decode(fresh),
  ),
  measure(
    'parse + assemble + decode unary calls',
    'frame',
    unary.bytes.length,
    unary.frames,
    () => {
      const parser = createFrameParser({ sender: 'client' });
      const assembler = createHeaderBlockAssembler();
      const decoder = createHpackDecoder();
      for (const chunk of unaryChunks) {
        for (const frame of parser.push(chunk).frames) {
          const step = assembler.accept(frame);
          if (step.kind === 'blockComplete') decoder.decode(step.block.block);
        }
      }
    },
  ),
];

console.log(`Node ${process.version}; ${fieldCount / unary.blocks.length} fields per block\n`);
console.log('| workload | MB/s | ns per unit |');
console.log('| --- | ---: | ---: |');
for (const { name, mbPerSecond, nsPerUnit, unit } of results) {
  console.log(`| ${name} | ${mbPerSecond.toFixed(0)} | ${nsPerUnit.toFixed(0)} per ${unit} |`);
}
