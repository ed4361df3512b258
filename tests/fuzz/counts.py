"""The counts of one database's fuzzing, from schemathesis' NDJSON event reports.

Usage: counts.py REPORT.ndjson… — prints requests made, 2xx answers to writes,
5xx answers, and the responses that failed a check of conformance to the
document.
"""

import json
import sys

WRITES = {"POST", "PUT", "DELETE", "PATCH"}
# The checks whose failure means the answer is not the one the document promises.
CONFORMANCE = {
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "problem_documents_only",
}

requests = writes = server_errors = mismatches = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as events:
        for line in events:
            finished = json.loads(line).get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            for interaction in recorder.get("interactions", {}).values():
                response = interaction.get("response")
                if response is None:
                    continue
                requests += 1
                method, status = interaction["request"]["method"].upper(), response["status_code"]
                if method in WRITES and 200 <= status < 300:
                    writes += 1
                server_errors += status >= 500
            for checks in recorder.get("checks", {}).values():
                mismatches += sum(c["name"] in CONFORMANCE and c["status"] == "failure" for c in checks)
print(f"requests {requests}, 2xx writes {writes}, 5xx {server_errors}, mismatches {mismatches}")
