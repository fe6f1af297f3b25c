"""/metrics: Prometheus's text format, parsed by prometheus_client's own parser; a histogram per
named operation; only for the allowed addresses or the metrics key; and with two workers, the
counts of both."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.settings import settings
from tests.servers import login, serve, stop, wait_ready


def _families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def _count(families: dict[str, Any], name: str, **labels: str) -> float:
    """The `_count` sample of histogram `name` for the samples carrying `labels`."""
    return sum(
        sample.value
        for sample in families[name].samples
        if sample.name == f"{name}_count" and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def _total(families: dict[str, Any], name: str) -> float:
    return sum(s.value for s in families[name].samples if s.name == f"{name}_total")


async def test_a_named_operation_has_a_latency_histogram(gql: Any, client: Any) -> None:
    before = _families((await client.get("/metrics")).text)
    name = "lianxin_graphql_operation_seconds"
    runs_before = _count(before, name, operation="MetricsStations", outcome="ok")
    for _ in range(3):
        result = await gql("query MetricsStations { stations(first: 1) { totalCount } }")
        assert result["data"]["stations"]["totalCount"] > 0
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    families = _families(response.text)
    histogram = families["lianxin_graphql_operation_seconds"]
    assert histogram.type == "histogram"
    after = _count(families, "lianxin_graphql_operation_seconds", operation="MetricsStations", outcome="ok")
    assert after - runs_before == 3
    buckets = [
        s
        for s in histogram.samples
        if s.name.endswith("_bucket") and s.labels.get("operation") == "MetricsStations"
    ]
    assert buckets and buckets[-1].labels["le"] == "+Inf" and buckets[-1].value == after
    # and what the database says about the scheduled jobs, read for the scrape
    assert families["lianxin_jobs_due"].type == "gauge"
    assert {s.labels["job"] for s in families["lianxin_job_lag_seconds"].samples}


async def test_errors_and_login_failures_are_counted(gql: Any, client: Any) -> None:
    before = _families((await client.get("/metrics")).text)
    failures_before = _total(before, "lianxin_login_failures")
    refused = await gql.raw(
        'mutation WrongPassword { login(username: "bureau", password: "not-the-password-at-all") '
        "{ __typename } }",
        headers={},
    )
    assert refused["data"]["login"]["__typename"] != "LoginSuccess"
    families = _families((await client.get("/metrics")).text)
    assert _total(families, "lianxin_login_failures") == failures_before + 1
    assert _count(families, "lianxin_graphql_operation_seconds", operation="WrongPassword") == 1


async def test_only_allowed_addresses_or_the_key_may_scrape(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await client.get("/metrics")).status_code == 200  # the test client comes from loopback
    elsewhere = dataclasses.replace(settings, metrics_allow=("10.0.0.0/8",), metrics_key="k" * 40)
    monkeypatch.setattr("server.metrics.settings", elsewhere)
    refused = await client.get("/metrics")
    assert refused.status_code == 404 and "lianxin_" not in refused.text
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})
    assert wrong.status_code == 404
    keyed = await client.get("/metrics", headers={"Authorization": "Bearer " + "k" * 40})
    assert keyed.status_code == 200 and "lianxin_graphql_operation_seconds" in keyed.text


def test_two_workers_report_both_workers_counts(database_url: str) -> None:
    """A real `lianxin serve --workers 2`: requests on new connections until both workers have
    served some (each worker writes its own file), then any scrape reports all of them."""
    directory = Path(tempfile.mkdtemp(prefix="lianxin-metrics-"))
    server, address = serve(database_url, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(directory)})
    query = {"query": "query TwoWorkers { stations(first: 1) { totalCount } }"}
    sent = 0
    try:
        wait_ready(address, server)
        token = login(address, "bureau")
        while sent < 400:
            with httpx.Client(timeout=10) as http:  # a new connection: either worker may take it
                response = http.post(
                    f"http://{address}/graphql", json=query, headers={"Authorization": f"Bearer {token}"}
                )
            assert response.status_code == 200, response.text
            sent += 1
            pids = {path.stem.rsplit("_", 1)[-1] for path in directory.glob("histogram_*.db")}
            if len(pids) >= 2 and sent >= 10:
                break
        assert len(pids) == 2, "one worker served every request"
        scrapes = [httpx.get(f"http://{address}/metrics", timeout=10) for _ in range(4)]
    finally:
        stop(server)
    for scrape in scrapes:  # whichever worker answered
        assert scrape.status_code == 200
        families = _families(scrape.text)
        assert _count(families, "lianxin_graphql_operation_seconds", operation="TwoWorkers") == sent
        # statements per request are counted under `lianxin serve`
        assert _count(families, "lianxin_request_statements", interface="graphql") > sent
