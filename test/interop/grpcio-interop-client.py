"""The client side of the interop cases with grpcio (Python).

Each procedure of gRPC's doc/interop-test-descriptions.md and the asserts it asks a client to
make, run once per process:

    grpcio-interop-client.py CASE TARGET --descriptor-set FILE [--server-name NAME]
        [--sleeping-server-deadline-ms MS]

Messages are built at run time from the FileDescriptorSet of fixtures/interop/test_service.proto
and calls are made by method path, so no generated stubs are needed. TLS trusts the roots named by
GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (the proxy's CA); a CONNECT tunnel comes from `grpc_proxy`. Every
call carries `x-call-id: grpcio/<case>#<n>` so its records can be found. Exit status 0 means every
assert held; an assert that fails prints its traceback and exits 1.
"""

import argparse
import queue
import sys

import grpc
from google.protobuf import descriptor_pb2, message_factory

CALL_ID_HEADER = "x-call-id"
CLIENT_NAME = "grpcio"
SERVICE = "grpc.testing.TestService"
UNIMPLEMENTED_SERVICE = "grpc.testing.UnimplementedService"

# The sizes and values the interop descriptions prescribe (test/interop/interop-messages.ts).
LARGE_REQUEST_BYTES = 271_828
LARGE_RESPONSE_BYTES = 314_159
REQUEST_STREAM_BYTES = (27_182, 8, 1_828, 45_904)
RESPONSE_STREAM_BYTES = (31_415, 9, 2_653, 58_979)
COMPRESSED_STREAM_BYTES = (31_415, 92_653)
ECHO_INITIAL_KEY = "x-grpc-test-echo-initial"
ECHO_INITIAL_VALUE = "test_initial_metadata_value"
ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin"
ECHO_TRAILING_VALUE = b"\xab\xab\xab"
STATUS_MESSAGE = "test status message"
SPECIAL_STATUS_MESSAGE = (
    "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
)

# Deadline of every call that has none in its procedure: a hang fails, bounded (seconds).
CALL_DEADLINE_S = 20.0


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def check_equal(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def load_messages(descriptor_set_path):
    """Message classes by short name (`SimpleRequest`) from a binary FileDescriptorSet."""
    with open(descriptor_set_path, "rb") as file:
        files = descriptor_pb2.FileDescriptorSet.FromString(file.read()).file
    prefix = "grpc.testing."
    return {
        name[len(prefix):]: cls
        for name, cls in message_factory.GetMessages(files).items()
        if name.startswith(prefix)
    }


class RequestPipe:
    """A request iterator the case writes to as it goes; grpcio reads it from its own thread."""

    _END = object()

    def __init__(self):
        self._queue = queue.Queue()

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get()
        if item is self._END:
            raise StopIteration
        return item

    def write(self, message):
        self._queue.put(message)

    def close(self):
        self._queue.put(self._END)


class Outcome:
    """What a finished call showed the client: its responses, metadata and status."""

    def __init__(self, responses, call):
        self.responses = responses
        self.code = call.code()
        self.details = call.details()
        self.initial = call.initial_metadata() or ()
        self.trailing = call.trailing_metadata() or ()

    def check_ok(self):
        check_equal(self.code, grpc.StatusCode.OK, f"status ({self.details})")


def values_of(metadata, key):
    return [value for name, value in metadata if name == key]


class Client:
    """Calls by method path on one channel; every call tagged with the case's next call id."""

    def __init__(self, channel, messages, case):
        self.channel = channel
        self.m = messages
        self.case = case
        self.calls = 0

    def metadata(self, extra=()):
        self.calls += 1
        return ((CALL_ID_HEADER, f"{CLIENT_NAME}/{self.case}#{self.calls}"), *extra)

    def _method(self, kind, path, response):
        factory = getattr(self.channel, kind)
        return factory(
            path,
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=self.m[response].FromString,
        )

    def unary(self, method, request, response, service=SERVICE, extra=(), **options):
        call = self._method("unary_unary", f"/{service}/{method}", response)
        try:
            value, rendezvous = call.with_call(
                request, timeout=CALL_DEADLINE_S, metadata=self.metadata(extra), **options
            )
            return Outcome([value], rendezvous)
        except grpc.RpcError as error:
            return Outcome([], error)

    def server_stream(self, request):
        call = self._method(
            "unary_stream", f"/{SERVICE}/StreamingOutputCall", "StreamingOutputCallResponse"
        )(request, timeout=CALL_DEADLINE_S, metadata=self.metadata())
        return Outcome(drain(call), call)

    def client_stream(self, requests, **options):
        call = self._method(
            "stream_unary", f"/{SERVICE}/StreamingInputCall", "StreamingInputCallResponse"
        )
        try:
            value, rendezvous = call.with_call(
                iter(requests), timeout=CALL_DEADLINE_S, metadata=self.metadata(), **options
            )
            return Outcome([value], rendezvous)
        except grpc.RpcError as error:
            return Outcome([], error)

    def client_stream_future(self, pipe):
        call = self._method(
            "stream_unary", f"/{SERVICE}/StreamingInputCall", "StreamingInputCallResponse"
        )
        return call.future(pipe, timeout=CALL_DEADLINE_S, metadata=self.metadata())

    def duplex(self, pipe, timeout=CALL_DEADLINE_S, extra=()):
        call = self._method(
            "stream_stream", f"/{SERVICE}/FullDuplexCall", "StreamingOutputCallResponse"
        )
        return call(pipe, timeout=timeout, metadata=self.metadata(extra))


def drain(call):
    """The responses of a streaming call until it ends, however it ends."""
    responses = []
    try:
        for response in call:
            responses.append(response)
    except grpc.RpcError:
        pass
    return responses


def body_sizes(responses):
    return [len(response.payload.body) for response in responses]


def check_zeros(response, size):
    check(response is not None, "a response")
    check(response.payload.body == bytes(size), f"a {size}-byte zero body")


def run_case(name, client, sleeping_server_deadline_s):
    m = client.m

    def zeros(size):
        return m["Payload"](body=bytes(size))

    def large_request(**fields):
        return m["SimpleRequest"](
            response_size=LARGE_RESPONSE_BYTES, payload=zeros(LARGE_REQUEST_BYTES), **fields
        )

    def first(outcome):
        return outcome.responses[0] if outcome.responses else None

    if name == "empty_unary":
        outcome = client.unary("EmptyCall", m["Empty"](), "Empty")
        outcome.check_ok()
        check_equal(outcome.responses, [m["Empty"]()], "one empty response")
    elif name == "large_unary":
        outcome = client.unary("UnaryCall", large_request(), "SimpleResponse")
        outcome.check_ok()
        check_zeros(first(outcome), LARGE_RESPONSE_BYTES)
    elif name == "client_streaming":
        requests = [m["StreamingInputCallRequest"](payload=zeros(n)) for n in REQUEST_STREAM_BYTES]
        outcome = client.client_stream(requests)
        outcome.check_ok()
        check_equal(first(outcome).aggregated_payload_size, 74_922, "aggregated size")
    elif name == "server_streaming":
        request = m["StreamingOutputCallRequest"](
            response_parameters=[m["ResponseParameters"](size=n) for n in RESPONSE_STREAM_BYTES]
        )
        outcome = client.server_stream(request)
        outcome.check_ok()
        check_equal(body_sizes(outcome.responses), list(RESPONSE_STREAM_BYTES), "response sizes")
    elif name == "ping_pong":
        pipe = RequestPipe()
        call = client.duplex(pipe)
        sizes = []
        try:
            for request_size, response_size in zip(REQUEST_STREAM_BYTES, RESPONSE_STREAM_BYTES):
                pipe.write(
                    m["StreamingOutputCallRequest"](
                        response_parameters=[m["ResponseParameters"](size=response_size)],
                        payload=zeros(request_size),
                    )
                )
                sizes.extend(body_sizes([next(call)]))
        finally:
            pipe.close()
        outcome = Outcome(drain(call), call)
        outcome.check_ok()
        check_equal(sizes, list(RESPONSE_STREAM_BYTES), "response sizes")
        check_equal(outcome.responses, [], "no responses after the last request")
    elif name == "empty_stream":
        pipe = RequestPipe()
        pipe.close()
        call = client.duplex(pipe)
        outcome = Outcome(drain(call), call)
        outcome.check_ok()
        check_equal(outcome.responses, [], "no responses")
    elif name in ("status_code_and_message", "special_status_message"):
        message = STATUS_MESSAGE if name == "status_code_and_message" else SPECIAL_STATUS_MESSAGE
        status = m["EchoStatus"](code=2, message=message)
        request = m["SimpleRequest"](response_status=status)
        outcomes = [client.unary("UnaryCall", request, "SimpleResponse")]
        if name == "status_code_and_message":
            pipe = RequestPipe()
            call = client.duplex(pipe)
            pipe.write(m["StreamingOutputCallRequest"](response_status=status))
            pipe.close()
            outcomes.append(Outcome(drain(call), call))
        for outcome in outcomes:
            check_equal(outcome.code, grpc.StatusCode.UNKNOWN, "status")
            check_equal(outcome.details, message, "status message")
    elif name in ("unimplemented_method", "unimplemented_service"):
        service = SERVICE if name == "unimplemented_method" else UNIMPLEMENTED_SERVICE
        outcome = client.unary("UnimplementedCall", m["Empty"](), "Empty", service=service)
        check_equal(outcome.code, grpc.StatusCode.UNIMPLEMENTED, "status")
    elif name == "custom_metadata":
        echo = ((ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE), (ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE))
        outcomes = [client.unary("UnaryCall", large_request(), "SimpleResponse", extra=echo)]
        pipe = RequestPipe()
        call = client.duplex(pipe, extra=echo)
        pipe.write(
            m["StreamingOutputCallRequest"](
                response_parameters=[m["ResponseParameters"](size=LARGE_RESPONSE_BYTES)],
                payload=zeros(LARGE_REQUEST_BYTES),
            )
        )
        pipe.close()
        outcomes.append(Outcome(drain(call), call))
        for outcome in outcomes:
            outcome.check_ok()
            check_zeros(first(outcome), LARGE_RESPONSE_BYTES)
            initial = values_of(outcome.initial, ECHO_INITIAL_KEY)
            check_equal(initial, [ECHO_INITIAL_VALUE], "initial metadata echoed")
            trailing = values_of(outcome.trailing, ECHO_TRAILING_KEY)
            check_equal(trailing, [ECHO_TRAILING_VALUE], "trailing metadata echoed")
    elif name == "timeout_on_sleeping_server":
        # The procedure's 1 ms, then a deadline long enough for the call to reach the server.
        for timeout in (0.001, sleeping_server_deadline_s):
            pipe = RequestPipe()
            call = client.duplex(pipe, timeout=timeout)
            pipe.write(m["StreamingOutputCallRequest"](payload=zeros(27_182)))
            try:
                outcome = Outcome(drain(call), call)
            finally:
                pipe.close()
            check_equal(outcome.code, grpc.StatusCode.DEADLINE_EXCEEDED, "status")
    elif name == "cancel_after_begin":
        pipe = RequestPipe()
        future = client.client_stream_future(pipe)
        try:
            # The server answers with its headers at once: then the call is surely under way.
            future.initial_metadata()
            future.cancel()
        finally:
            pipe.close()
        check_equal(future.code(), grpc.StatusCode.CANCELLED, "status")
    elif name == "cancel_after_first_response":
        pipe = RequestPipe()
        call = client.duplex(pipe)
        try:
            pipe.write(
                m["StreamingOutputCallRequest"](
                    response_parameters=[m["ResponseParameters"](size=31_415)],
                    payload=zeros(27_182),
                )
            )
            check_equal(body_sizes([next(call)]), [31_415], "first response size")
            call.cancel()
        finally:
            pipe.close()
        check_equal(call.code(), grpc.StatusCode.CANCELLED, "status")
    elif name == "client_compressed_unary":
        def request(expect):
            return large_request(expect_compressed=m["BoolValue"](value=expect))

        probe = client.unary("UnaryCall", request(True), "SimpleResponse")
        check_equal(probe.code, grpc.StatusCode.INVALID_ARGUMENT, "the feature probe fails")
        for compression, expect in ((grpc.Compression.Gzip, True), (None, False)):
            outcome = client.unary(
                "UnaryCall", request(expect), "SimpleResponse", compression=compression
            )
            outcome.check_ok()
            check_zeros(first(outcome), LARGE_RESPONSE_BYTES)
    elif name == "server_compressed_unary":
        for compressed in (True, False):
            request = large_request(response_compressed=m["BoolValue"](value=compressed))
            outcome = client.unary("UnaryCall", request, "SimpleResponse")
            outcome.check_ok()
            check_zeros(first(outcome), LARGE_RESPONSE_BYTES)
    elif name == "server_compressed_streaming":
        request = m["StreamingOutputCallRequest"](
            response_parameters=[
                m["ResponseParameters"](size=n, compressed=m["BoolValue"](value=index == 0))
                for index, n in enumerate(COMPRESSED_STREAM_BYTES)
            ]
        )
        outcome = client.server_stream(request)
        outcome.check_ok()
        check_equal(body_sizes(outcome.responses), list(COMPRESSED_STREAM_BYTES), "sizes")
    else:
        print(f"no grpcio procedure for {name}", file=sys.stderr)
        sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description="Runs one gRPC interop case with grpcio.")
    parser.add_argument("case")
    parser.add_argument("target", help="host:port to dial")
    parser.add_argument("--descriptor-set", required=True)
    parser.add_argument("--server-name", help="the TLS name to verify instead of the target's")
    parser.add_argument("--sleeping-server-deadline-ms", type=int, default=1000)
    args = parser.parse_args()
    options = []
    if args.server_name:
        options.append(("grpc.ssl_target_name_override", args.server_name))
    messages = load_messages(args.descriptor_set)
    with grpc.secure_channel(args.target, grpc.ssl_channel_credentials(), options) as channel:
        client = Client(channel, messages, args.case)
        run_case(args.case, client, args.sleeping_server_deadline_ms / 1000)


if __name__ == "__main__":
    main()
