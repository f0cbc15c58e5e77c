"""The Python runtime of one execution environment: runs `module.function` handlers through the Lambda Runtime API.

Started by the edge with the interpreter of the function's runtime (python3.X, else python3) and `-u`, so that
what the function prints reaches the log before its result.
"""
import importlib
import json
import os
import socket
import sys
import time
import traceback

RUNTIME_API = os.environ["AWS_LAMBDA_RUNTIME_API"]
TASK_ROOT = os.environ["LAMBDA_TASK_ROOT"]
HANDLER = os.environ["_HANDLER"]

sys.path.insert(0, TASK_ROOT)
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))

import endpoint_patch  # noqa: E402  (needs the path above)

endpoint_patch.install()

class RuntimeApi:
    """The Runtime API client: one kept-alive connection, each step written in one piece. A result and the next
    `invocation/next` go in the same write (the answers come back in order): one round trip per invocation.
    http.client cannot pipeline, and the edge's answers are simple (Content-Length bodies). The edge going away ends
    the environment."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._host = host
        try:
            self._socket = socket.create_connection((host, int(port)))
        except OSError:
            sys.exit(0)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._answers = self._socket.makefile("rb")
        self._next = ("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n" % host).encode()

    def next(self):
        """Waits for the next invocation: (headers with lower-case names, body)."""
        return self._exchange(self._next, 1)

    def post(self, path, body, error_type=None):
        self._exchange(self._post(path, body, error_type), 1)

    def post_and_next(self, path, body, error_type=None):
        """Posts a result (its answer is not needed) and waits for the next invocation."""
        return self._exchange(self._post(path, body, error_type) + self._next, 2)

    def _post(self, path, body, error_type):
        head = "POST /2018-06-01/runtime/%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n" % (
            path, self._host)
        if error_type:
            head += "Lambda-Runtime-Function-Error-Type: %s\r\n" % error_type
        return (head + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body

    def _exchange(self, requests, answers):
        """Sends `requests` and reads `answers` responses; returns the last one."""
        try:
            self._socket.sendall(requests)
            for _ in range(answers):
                answer = self._read()
            return answer
        except (OSError, ValueError):
            sys.exit(0)

    def _read(self):
        status = self._answers.readline()
        if not status:
            raise ConnectionError("the Runtime API closed the connection")
        headers = {}
        while True:
            line = self._answers.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        return headers, self._answers.read(length) if length else b""


def _error_object(error, error_type=None):
    stack = traceback.format_list(traceback.extract_tb(error.__traceback__)) if error.__traceback__ else []
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "stackTrace": stack,
    }


def _boto3_hint(missing):
    if missing not in ("boto3", "botocore"):
        return ""
    return (
        ". %s is not installed for %s: install it for that interpreter (%s -m pip install boto3, or Debian's "
        "python3-boto3), or bundle it in the function's zip" % (missing, sys.executable, sys.executable)
    )


class InitError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def _load_handler():
    module_name, dot, function_name = HANDLER.rpartition(".")
    if not dot or not module_name or not function_name:
        raise InitError(
            "Runtime.MalformedHandlerName",
            "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % HANDLER,
        )
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        hint = _boto3_hint(getattr(error, "name", None) or "")
        raise InitError("Runtime.ImportModuleError", "Unable to import module '%s': %s%s" % (module_name, error, hint))
    except SyntaxError as error:
        raise InitError("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, error))
    handler = getattr(module, function_name, None)
    if handler is None:
        raise InitError(
            "Runtime.HandlerNotFound",
            "Handler '%s' missing on module '%s'" % (function_name, module_name),
        )
    return handler


class CognitoIdentity:
    def __init__(self, data):
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")


class ClientContext:
    def __init__(self, data):
        self.client = data.get("client")
        self.custom = data.get("custom")
        self.env = data.get("env")


class LambdaContext:
    """AWS's context object for Python handlers."""

    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, cognito_identity):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.invoked_function_arn = invoked_function_arn
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = ClientContext(json.loads(client_context)) if client_context else None
        self.identity = CognitoIdentity(json.loads(cognito_identity)) if cognito_identity else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _set_trace_id(value):
    """Sets _X_AMZN_TRACE_ID, as Lambda does for each invocation, in os.environ only. Setting it in the process
    environment (os.environ's putenv) would leak: glibc's setenv keeps every value it was ever given, about 140 bytes
    an invocation, which takes a busy warm environment to its memory limit within minutes. A process the function
    starts inherits the environment without it."""
    key = os.environ.encodekey("_X_AMZN_TRACE_ID")
    if value:
        os.environ._data[key] = os.environ.encodevalue(value)
    else:
        os.environ._data.pop(key, None)


def main():
    api = RuntimeApi(RUNTIME_API)
    try:
        handler = _load_handler()
    except InitError as error:
        print("[ERROR] %s: %s" % (error.error_type, error), file=sys.stderr)
        error_object = {"errorMessage": str(error), "errorType": error.error_type, "stackTrace": []}
        api.post("init/error", json.dumps(error_object).encode("utf-8"), error.error_type)
        sys.exit(1)
    except Exception as error:  # the module's own init code raised
        print("[ERROR] %s: %s" % (type(error).__name__, error), file=sys.stderr)
        api.post("init/error", json.dumps(_error_object(error)).encode("utf-8"), "Runtime.Unknown")
        sys.exit(1)
    headers, body = api.next()
    while True:
        request_id = headers.get("lambda-runtime-aws-request-id")
        _set_trace_id(headers.get("lambda-runtime-trace-id"))
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms") or "0"),
            headers.get("lambda-runtime-invoked-function-arn"),
            headers.get("lambda-runtime-client-context"),
            headers.get("lambda-runtime-cognito-identity"),
        )
        path, error_type = "invocation/%s/response" % request_id, None
        try:
            result = handler(json.loads(body or b"{}"), context)
        except Exception as error:
            error_object = _error_object(error)
            if isinstance(error, ImportError):
                error_object["errorMessage"] += _boto3_hint(getattr(error, "name", None) or "")
            error_object["requestId"] = request_id
            print("[ERROR] %s: %s" % (error_object["errorType"], error_object["errorMessage"]), file=sys.stderr)
            path, error_type = "invocation/%s/error" % request_id, "Runtime.Unhandled"
            payload = json.dumps(error_object).encode("utf-8")
        else:
            payload, marshal_error = _marshal(result)
            if marshal_error:
                marshal_error["requestId"] = request_id
                path, error_type = "invocation/%s/error" % request_id, "Runtime.MarshalError"
                payload = json.dumps(marshal_error).encode("utf-8")
        sys.stdout.flush()
        sys.stderr.flush()
        headers, body = api.post_and_next(path, payload, error_type)


def _marshal(result):
    try:
        return json.dumps(result).encode("utf-8"), None
    except (TypeError, ValueError) as error:
        return None, {"errorMessage": "Unable to marshal response: %s" % error, "errorType": "Runtime.MarshalError",
                      "stackTrace": []}


main()
