"""API fuzzing: schemathesis generates requests from the OpenAPI document; none may crash.

Runs in the SQLite pass only (marker `fuzz`), as an analyst (who may call nearly every route)
and anonymously.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from accord.accounts import actions
from accord.testing import make_user
from accord.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

pytestmark = pytest.mark.fuzz


@pytest.fixture
def analyst_token(db):  # type: ignore[no-untyped-def]
    from accord.accounts.models import User

    user = User.objects.filter(email="fuzz@coordinator.test").first() or make_user(
        "fuzz@coordinator.test", staff_role="analyst"
    )
    return actions.create_token(user, "fuzz", by=user)[1]


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)
def test_api_as_analyst_never_answers_5xx(case, analyst_token):  # type: ignore[no-untyped-def]
    response = case.call(headers={"Authorization": f"Bearer {analyst_token}"})
    case.validate_response(response, checks=(not_a_server_error,))


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)
def test_api_anonymous_never_answers_5xx(case):  # type: ignore[no-untyped-def]
    response = case.call()
    case.validate_response(response, checks=(not_a_server_error,))
