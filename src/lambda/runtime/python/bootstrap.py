"""The Python runtime of one execution environment: runs `module.function` handlers through the Lambda Runtime API.

Started by the edge with the interpreter of the function's runtime (python3.X, else python3) and `-u`, so that
what the function prints reaches the log before its result.
"""
import http.client
import importlib
import json
import os
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

_connection = None


def _request(method, path, body=None, headers=None):
    """One Runtime API call on a kept-alive connection; the edge going away ends the environment."""
    global _connection
    for attempt in (0, 1):
        if _connection is None:
            _connection = http.client.HTTPConnection(RUNTIME_API)
        try:
            _connection.request(method, "/2018-06-01/runtime/" + path, body=body, headers=headers or {})
            response = _connection.getresponse()
            return response, response.read()
        except (ConnectionError, http.client.HTTPException, OSError):
            _connection.close()
            _connection = None
            if attempt == 1:
                sys.exit(0)


def _post(path, payload, error_type=None):
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    _request("POST", path, json.dumps(payload).encode("utf-8"), headers)


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


def main():
    try:
        handler = _load_handler()
    except InitError as error:
        print("[ERROR] %s: %s" % (error.error_type, error), file=sys.stderr)
        _post("init/error", {"errorMessage": str(error), "errorType": error.error_type, "stackTrace": []},
              error.error_type)
        sys.exit(1)
    except Exception as error:  # the module's own init code raised
        print("[ERROR] %s: %s" % (type(error).__name__, error), file=sys.stderr)
        _post("init/error", _error_object(error), "Runtime.Unknown")
        sys.exit(1)
    while True:
        response, body = _request("GET", "invocation/next")
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        os.environ["_X_AMZN_TRACE_ID"] = response.getheader("Lambda-Runtime-Trace-Id") or ""
        context = LambdaContext(
            request_id,
            int(response.getheader("Lambda-Runtime-Deadline-Ms") or "0"),
            response.getheader("Lambda-Runtime-Invoked-Function-Arn"),
            response.getheader("Lambda-Runtime-Client-Context"),
            response.getheader("Lambda-Runtime-Cognito-Identity"),
        )
        try:
            result = handler(json.loads(body or b"{}"), context)
        except Exception as error:
            error_object = _error_object(error)
            if isinstance(error, ImportError):
                error_object["errorMessage"] += _boto3_hint(getattr(error, "name", None) or "")
            error_object["requestId"] = request_id
            print("[ERROR] %s: %s" % (error_object["errorType"], error_object["errorMessage"]), file=sys.stderr)
            sys.stdout.flush()
            sys.stderr.flush()
            _post("invocation/%s/error" % request_id, error_object, "Runtime.Unhandled")
            continue
        payload, marshal_error = _marshal(result)
        if marshal_error:
            marshal_error["requestId"] = request_id
            sys.stdout.flush()
            sys.stderr.flush()
            _post("invocation/%s/error" % request_id, marshal_error, "Runtime.MarshalError")
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        _request("POST", "invocation/%s/response" % request_id, payload, {"Content-Type": "application/json"})


def _marshal(result):
    try:
        return json.dumps(result).encode("utf-8"), None
    except (TypeError, ValueError) as error:
        return None, {"errorMessage": "Unable to marshal response: %s" % error, "errorType": "Runtime.MarshalError",
                      "stackTrace": []}


main()
