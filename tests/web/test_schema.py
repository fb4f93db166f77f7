"""schemathesis against /openapi.json: requests generated from the schema (a bounded number) never get a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from seglab.web import Settings
from seglab.web.app import create_app

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install schemathesis)")
from schemathesis.checks import not_a_server_error  # noqa: E402

EXAMPLES = 15  # per operation


@pytest.fixture(scope="module")
def api_schema():
    # schemathesis runs the application's lifespan itself (its requests say Host: testserver)
    app = create_app(Settings(host="testserver", workers=1, queue_size=8, wait=30, max_pixels=1_000_000,
                              max_upload_mb=1, timeout=20))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_generated_request_makes_the_server_fail(api_schema):
    # schemathesis' own pytest integration (from_fixture) does not run under pytest 9, so each operation's
    # strategy is driven by hypothesis directly
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/segment", "/compare", "/eval", "/preview", "/jobs/{job_id}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case):
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()
