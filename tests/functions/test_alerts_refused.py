"""POST /api/alerts/{source} refuses what it must, before storing anything: a missing or wrong secret (401,
counted in the audit log), a source without a secret (fail closed), a body too large (413) and a malformed
one (400, saying what is wrong). Hypothesis: no body ever gets a 5xx or leaves a partial signal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from functions.alerts import MAX_BODY
from incident.policy import OrganisationPolicy
from tests.functions.alerts_support import SECRETS, alert_request, answer, basic, fixture, post, signed
from tests.functions.conftest import built_function

FIRING = {"azure-monitor": "azure-monitor-metric-fired.json", "alertmanager": "alertmanager-firing.json",
          "grafana": "grafana-firing.json", "generic": "generic-firing.json"}


def installed_with(policy: OrganisationPolicy, clock: FixedClock, secrets: dict[str, str]) -> Container:
    container = Container(Settings(storage_connection_string="memory", alert_secrets=tuple(secrets.items())),
                          clock=clock, in_memory=True, policy=policy, notifier=RecordingNotifier())
    bootstrap.reset_container(container)
    return container


@pytest.fixture
def alerting(policy: OrganisationPolicy, clock: FixedClock) -> Iterator[Container]:
    yield installed_with(policy, clock, SECRETS)
    bootstrap.reset_container(None)


async def stored(container: Container) -> list[Any]:
    assert container.dependencies.signals is not None
    return await container.dependencies.signals.since(container.clock.now() - timedelta(days=1))


async def refused_count(container: Container) -> list[str]:
    assert container.dependencies.audit is not None
    return [r.detail["problem"] for r in await container.dependencies.audit.on_day(container.clock.now())
            if r.kind == "alert_refused"]


@pytest.mark.parametrize("source", sorted(FIRING))
async def test_a_wrong_secret_is_refused_counted_and_stores_nothing(alerting: Container, source: str) -> None:
    response = await post(source, fixture(FIRING[source]), secret="not-the-secret-at-all")
    assert response.status_code == 401
    assert "wrong" in answer(response)["error"]
    assert await stored(alerting) == [] and await alerting.dependencies.incidents.list_open() == []
    assert len(await refused_count(alerting)) == 1


@pytest.mark.parametrize("source", sorted(FIRING))
async def test_a_missing_secret_is_refused(alerting: Container, source: str) -> None:
    response = await built_function("alerts_in")(alert_request(source, fixture(FIRING[source])))
    assert response.status_code == 401 and "missing" in answer(response)["error"]
    assert await stored(alerting) == []


async def test_a_source_without_a_configured_secret_refuses_everything(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    container = installed_with(policy, clock, {k: v for k, v in SECRETS.items() if k != "grafana"})
    try:
        response = await post("grafana", fixture(FIRING["grafana"]))
        assert response.status_code == 401
        assert answer(response)["error"] == "not accepted: no secret is configured for this source"
        assert await stored(container) == []
    finally:
        bootstrap.reset_container(None)


async def test_grafana_may_send_the_secret_as_basic_auth_password(alerting: Container) -> None:
    body = fixture(FIRING["grafana"])
    ok = await built_function("alerts_in")(alert_request("grafana", body,
                                                         headers={"Authorization": basic(SECRETS["grafana"])}))
    wrong = await built_function("alerts_in")(alert_request("grafana", body, headers={"Authorization": basic("x")}))
    assert (ok.status_code, wrong.status_code) == (202, 401)


async def test_the_generic_signature_covers_the_body(alerting: Container) -> None:
    body = fixture(FIRING["generic"])
    headers, _ = signed("generic", body)
    tampered = body.replace(b"identity", b"checkout")
    response = await built_function("alerts_in")(alert_request("generic", tampered, headers=headers))
    assert response.status_code == 401 and answer(response)["error"] == "not accepted: wrong signature"
    assert await stored(alerting) == []


async def test_a_body_over_the_cap_is_refused_before_it_is_read(alerting: Container) -> None:
    headers, params = signed("alertmanager", b"")
    declared = await built_function("alerts_in")(alert_request(
        "alertmanager", b"{}", headers=headers | {"Content-Length": str(MAX_BODY + 1)}, params=params))
    big = await post("alertmanager", b"{" + b" " * MAX_BODY + b"}")
    assert (declared.status_code, big.status_code) == (413, 413)
    assert await stored(alerting) == []


@pytest.mark.parametrize(("source", "body", "problem"), [
    ("azure-monitor", b"{not json", "the body is not valid JSON"),
    ("azure-monitor", b"[]", "the body must be a JSON object"),
    ("azure-monitor", json.dumps({"schemaId": "Microsoft.Insights/activityLogs", "data": {}}).encode(),
     "not a azure-monitor alert payload: schemaId"),
    ("alertmanager", json.dumps({"version": "4", "status": "firing", "alerts": []}).encode(),
     "not a alertmanager alert payload: alerts"),
    ("grafana", json.dumps({"status": "firing", "orgId": 1, "alerts": [{"status": "pending"}]}).encode(),
     "not a grafana alert payload: alerts.0.status"),
    ("generic", json.dumps({"id": "x", "summary": "s", "sevrity": "high"}).encode(),
     "not a generic alert payload: sevrity"),
])
async def test_a_malformed_body_gets_400_saying_what_is_wrong(alerting: Container, source: str, body: bytes,
                                                            problem: str) -> None:
    response = await post(source, body)
    assert response.status_code == 400
    assert answer(response)["error"].startswith(problem)
    assert await stored(alerting) == []


async def test_one_bad_alert_in_a_group_stores_none_of_the_group(alerting: Container) -> None:
    body = json.loads(fixture(FIRING["alertmanager"]))
    body["alerts"][1]["labels"] = {"alertname": ["not", "a", "string"]}
    response = await post("alertmanager", body)
    assert response.status_code == 400 and "alerts.1.labels" in answer(response)["error"]
    assert await stored(alerting) == []


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)


def mutated(source: str) -> st.SearchStrategy[bytes]:
    """Real payloads with a field replaced by anything, plus arbitrary JSON and arbitrary bytes."""
    base = json.loads(fixture(FIRING[source]))

    def replace_field(path_and_value: tuple[list[str], Any]) -> bytes:
        document = json.loads(json.dumps(base))
        node = document
        *parents, last = path_and_value[0]
        for name in parents:
            node = node[name] if isinstance(node, dict) else node[0]
        if isinstance(node, dict):
            node[last] = path_and_value[1]
        return json.dumps(document).encode()

    paths = [[k] for k in base] + [["data", "essentials", k] for k in base.get("data", {}).get("essentials", {})] + [
        ["alerts", "0", k] for k in (base.get("alerts") or [{}])[0]]
    return (st.tuples(st.sampled_from(paths), json_values).map(replace_field)
            | json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200))


@pytest.mark.parametrize("source", sorted(FIRING))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_no_body_gets_a_5xx_or_leaves_a_partial_signal(alerting: Container, source: str,
                                                             data: st.DataObject) -> None:
    body = data.draw(mutated(source))
    before = len(await stored(alerting))
    response = await post(source, body)
    assert response.status_code in (202, 400), response.get_body()
    after = await stored(alerting)
    if response.status_code == 400:
        assert len(after) == before
    else:
        assert all(s.signal.summary and s.signal.fingerprint and s.outcome for s in after)
