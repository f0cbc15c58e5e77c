"""Points an older botocore (< 1.31, boto3 < 1.28, such as Debian's) at AWS_ENDPOINT_URL, as newer ones do themselves.

Newer botocore reads AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>; older ones ignore them, so the function's
clients would call real AWS. For those, `Session.create_client` gets the variables as its default `endpoint_url`
(presigned URLs follow the client's endpoint). botocore is patched when the function imports it, never before: a
function that does not use it pays nothing.
"""
import importlib.abc
import importlib.util
import os
import re
import sys

FIRST_VERSION_WITH_ENDPOINT_VARIABLES = (1, 31)


def _botocore_version():
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.origin:
        return None
    try:
        with open(spec.origin, encoding="utf-8") as source:
            match = re.search(r"__version__\s*=\s*['\"](\d+)\.(\d+)", source.read())
    except OSError:
        return None
    return (int(match.group(1)), int(match.group(2))) if match else None


def _endpoint_for(service_name):
    specific = "AWS_ENDPOINT_URL_" + re.sub(r"[^A-Z0-9]", "_", service_name.upper())
    return os.environ.get(specific) or os.environ.get("AWS_ENDPOINT_URL")


def _patch(session_module):
    original = session_module.Session.create_client

    def create_client(self, service_name, *args, **kwargs):
        # endpoint_url is create_client's 6th parameter (after service_name, region_name, api_version, use_ssl, verify).
        if kwargs.get("endpoint_url") is None and len(args) < 5:
            endpoint = _endpoint_for(service_name)
            if endpoint:
                kwargs["endpoint_url"] = endpoint
        return original(self, service_name, *args, **kwargs)

    session_module.Session.create_client = create_client


class _PatchOnImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name != "botocore.session":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        self._loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _patch(module)
        sys.meta_path.remove(self)


def install():
    if not os.environ.get("AWS_ENDPOINT_URL") and not any(k.startswith("AWS_ENDPOINT_URL_") for k in os.environ):
        return
    version = _botocore_version()
    if version is None or version >= FIRST_VERSION_WITH_ENDPOINT_VARIABLES:
        return
    sys.meta_path.insert(0, _PatchOnImport())
