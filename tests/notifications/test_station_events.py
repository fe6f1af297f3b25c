"""Station changes reach a subscription to station events, from their audit entries' outbox rows,
each as the change left the station, and only within the subscription's jurisdiction."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import data
from tests.notifications.helpers import Receiver, configure, subscribe, work
from tests.stations.test_station_mutations import CREATE, UPDATE, _station_input, _xiagang_id


async def test_station_changes_reach_subscribers_in_their_jurisdiction(
    gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch)
    receiver = await Receiver().start()
    try:
        changan = data(await gql('{ jurisdictions(filter: {search: "Chang"}) { nodes { id code } } }'))
        changan_id = next(
            j["id"] for j in changan["jurisdictions"]["nodes"] if j["code"] == "dongguan/changan"
        )
        humen = data(await gql('{ jurisdictions(filter: {search: "Humen"}) { nodes { id code } } }'))
        humen_id = next(j["id"] for j in humen["jurisdictions"]["nodes"] if j["code"] == "dongguan/humen")
        await subscribe(gql, receiver.url("/changan"), ["station.*"], jurisdictionId=changan_id)
        await subscribe(gql, receiver.url("/humen"), ["station.*"], jurisdictionId=humen_id)
        created = data(await gql(CREATE, {"input": _station_input(await _xiagang_id(gql))}))["createStation"]
        station = created["station"]
        update = {"id": station["id"], "version": 1, "status": "UNDER_CONSTRUCTION"}
        assert data(await gql(UPDATE, {"input": update}))["updateStation"]["__typename"] == "StationPayload"
        await work()
    finally:
        await receiver.stop()
    heard = [(r.path, r.json()["type"], r.json()["data"]["station"]["status"]) for r in receiver.received]
    assert heard == [
        ("/changan", "station.create", "PLANNED"),
        ("/changan", "station.update", "UNDER_CONSTRUCTION"),
    ]
