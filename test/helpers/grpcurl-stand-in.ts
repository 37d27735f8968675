/**
 * A stand-in for `grpcurl` in tests (grpcurl is neither in Debian nor on npm): a script that
 * takes grpcurl's own arguments as `grpctap export --format grpcurl` writes them (`-plaintext`,
 * `-authority`, `-H`, `-max-time`, `-d @` with JSON messages on stdin, `HOST:PORT`,
 * `SERVICE/METHOD`), makes that unary call with grpc-js, prints the reply as JSON and exits 0, or
 * prints the status and exits 1 like grpcurl does. Schemas come from the `.proto` files in
 * `GRPCURL_PROTO` (grpcurl's `-proto`); TLS trusts `GRPCURL_CACERT` (the system store, for
 * grpcurl). Run: `node grpcurl-stand-in.js ARGS...`.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
let plaintext = false;
let authority: string | null = null;
let maxTime: number | null = null;
let fromStdin = false;
const metadata = new grpc.Metadata();
const positionals: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  if (arg === '-plaintext') plaintext = true;
  else if (arg === '-authority') authority = args[++i] ?? fail('-authority needs a value');
  else if (arg === '-max-time') maxTime = Number(args[++i]);
  else if (arg === '-H') {
    const header = args[++i] ?? fail('-H needs a value');
    const colon = header.indexOf(':');
    const name = header.slice(0, colon).trim().toLowerCase();
    const value = header.slice(colon + 1).trim();
    if (name.endsWith('-bin')) metadata.add(name, Buffer.from(value, 'base64'));
    else metadata.add(name, value);
  } else if (arg === '-d') {
    if (args[++i] !== '@') fail('only -d @ is supported');
    fromStdin = true;
  } else if (arg.startsWith('-')) fail(`unsupported flag ${arg}`);
  else positionals.push(arg);
}
const [target, fullMethod] = positionals;
if (target === undefined || fullMethod === undefined) fail('usage: ... HOST:PORT SERVICE/METHOD');
const slash = fullMethod.lastIndexOf('/');
const root = protobuf.loadSync((process.env.GRPCURL_PROTO ?? '').split(','));
const service = root.lookupService(fullMethod.slice(0, slash));
const method = service.methods[fullMethod.slice(slash + 1)] ?? fail(`no method ${fullMethod}`);
method.resolve();
const requestType = method.resolvedRequestType as protobuf.Type;
const responseType = method.resolvedResponseType as protobuf.Type;
const input = fromStdin ? readFileSync(0, 'utf8') : '{}';
const messages = input
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => requestType.fromObject(JSON.parse(line) as Record<string, unknown>));
if (messages.length !== 1)
  fail(`this stand-in makes unary calls only (got ${messages.length} messages)`);
const credentials = plaintext
  ? grpc.credentials.createInsecure()
  : grpc.credentials.createSsl(readFileSync(process.env.GRPCURL_CACERT ?? fail('GRPCURL_CACERT')));
const options: grpc.ChannelOptions =
  authority === null ? {} : { 'grpc.default_authority': authority };
const client = new grpc.Client(target, credentials, options);
const deadline = maxTime === null ? Infinity : Date.now() + maxTime * 1000;
client.makeUnaryRequest(
  `/${fullMethod}`,
  (message: protobuf.Message) => Buffer.from(requestType.encode(message).finish()),
  (bytes: Buffer) => responseType.decode(bytes),
  messages[0] as protobuf.Message,
  metadata,
  { deadline },
  (error, reply) => {
    client.close();
    if (error) fail(`ERROR:\n  Code: ${grpc.status[error.code]}\n  Message: ${error.details}`);
    process.stdout.write(
      `${JSON.stringify(responseType.toObject(reply as protobuf.Message, { defaults: true }), null, 2)}\n`,
    );
  },
);
