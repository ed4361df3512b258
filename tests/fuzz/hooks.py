"""Schemathesis hooks of the contract fuzzing (`tests/fuzz/run.sh`).

A check that every error is a problem document, and the counts the run
prints: requests made, 2xx answers to writes, 5xx answers, responses that
do not match the document.
"""

import atexit
import json
import os
import threading

import schemathesis

WRITES = {"POST", "PUT", "DELETE", "PATCH"}
# The checks whose failure means the answer is not the one the document promises.
CONFORMANCE = {
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "problem_documents_only",
}

_lock = threading.Lock()
_counts = {"requests": 0, "writes_2xx": 0, "server_errors": 0, "mismatches": 0}
_writes_reached = set()


@schemathesis.check
def problem_documents_only(ctx, response, case):
    """Every 4xx and 5xx is `application/problem+json` with a `/problems/…` type."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.split(";")[0].strip() != "application/problem+json":
        raise AssertionError(f"a {response.status_code} answered as `{content_type}`, not a problem document")
    problem = response.json()
    if not str(problem.get("type", "")).startswith("/problems/") or problem.get("status") != response.status_code:
        raise AssertionError(f"not a problem document of this status: {problem}")
    return True


@schemathesis.hook
def after_call(context, case, response):
    with _lock:
        _counts["requests"] += 1
        if case.method.upper() in WRITES and 200 <= response.status_code < 300:
            _counts["writes_2xx"] += 1
            _writes_reached.add(f"{case.method.upper()} {case.operation.path}")
        if response.status_code >= 500:
            _counts["server_errors"] += 1


@schemathesis.hook
def after_validate(context, case, response, results):
    if any(result.name in CONFORMANCE and result.failure is not None for result in results):
        with _lock:
            _counts["mismatches"] += 1


@atexit.register
def _write_counts():
    path = os.environ.get("QIANYUE_FUZZ_COUNTS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({**_counts, "writes_reached": sorted(_writes_reached)}, out)
