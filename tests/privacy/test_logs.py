"""Item 6: the server's logs hold no citizen's name, phone or ID number, at any level, from any
logger, the database drivers' statement logs (LIANXIN_LOG_SQL) included."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from server.logs import JsonFormatter
from tests.helpers import data
from tests.privacy.flow import Citizen, ticket_through_workflow


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.formatter_ = JsonFormatter()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.formatter_.format(record))


@contextlib.contextmanager
def every_log_record() -> Iterator[Collect]:
    """DEBUG on every logger that exists (and the root, for those made later), enabled, and
    collected whether it propagates or not."""
    collect = Collect()
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    own = [logger for logger in loggers if logger is logging.getLogger() or not logger.propagate]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    for logger in own:
        logger.addHandler(collect)
    try:
        yield collect
    finally:
        for logger in own:
            logger.removeHandler(collect)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


async def test_a_whole_workflow_logs_no_citizens_data(gql: Any) -> None:
    citizen = Citizen(4)
    await gql.token("bureau")  # logins are not the subject
    with every_log_record() as logs:
        ticket = await ticket_through_workflow(gql, citizen)
        read = (
            "query($id: ID!) { node(id: $id) { ... on Ticket { reporterName reporterPhone description } } }"
        )
        assert data(await gql(read, {"id": ticket["id"]}))["node"]["reporterName"] == citizen.new_name
        refused = await gql(
            "mutation($i: RegisterTicketInput!) { registerTicket(input: $i) { __typename } }",
            {
                "i": {
                    "source": "WALK_IN",
                    "categoryId": ticket["refs"]["category"],
                    "stationId": ticket["refs"]["station"],
                    "description": f"{citizen.phone(3)} " * 300,  # too long: refused
                    "reporterName": citizen.name,
                    "reporterPhone": citizen.phone(1),
                }
            },
            as_user="worker-xiagang",
        )
        assert data(refused)["registerTicket"]["__typename"] == "ValidationError"
    statements = [line for line in logs.lines if '"logger": "tortoise.db_client"' in line]
    assert any("INSERT INTO" in line and "ticket" in line for line in statements), "SQL was not logged"
    found = {what for line in logs.lines for what, value in citizen.secrets.items() if value in line}
    assert found == set()
