"""Schemathesis hooks of the contract fuzzing (`tests/fuzz/run.sh`)."""

import schemathesis


@schemathesis.check
def problem_documents_only(ctx, response, case):
    """Every 4xx and 5xx is `application/problem+json` with a `/problems/…` type and its status."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.split(";")[0].strip() != "application/problem+json":
        raise AssertionError(f"a {response.status_code} answered as `{content_type}`, not a problem document")
    problem = response.json()
    if not str(problem.get("type", "")).startswith("/problems/") or problem.get("status") != response.status_code:
        raise AssertionError(f"not a problem document of this status: {problem}")
    return True
