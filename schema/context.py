from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schema.limits import RowBudget, current_budget
from schema.loaders import Loaders
from server.authz.authorizer import Authorizer, Viewer
from server.authz.engine import engine
from server.settings import settings

if TYPE_CHECKING:
    from schema.websocket import LiveSession


@dataclass
class Context:
    request: Any
    response: Any = None
    viewer: Viewer | None = None
    auth_error: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    connection_params: dict[str, Any] | None = None  # set by graphql-transport-ws connection_init
    # A graphql-transport-ws connection's caller, re-checked while the socket is open
    # (schema/websocket.py); None over HTTP.
    live: LiveSession | None = None
    # (ticket id, number, field) of every citizen's name or phone read in this request
    personal_reads: list[tuple[int, str, str]] = field(default_factory=list)
    authz: Authorizer = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.authz = Authorizer(engine, self.viewer, self.auth_error)
        self.loaders = Loaders(self)
        # Built in the request's task, so every resolver of this request draws on the same budget.
        current_budget.set(RowBudget(settings.max_rows_per_request))

    @property
    def actor(self) -> str:
        return self.viewer.name if self.viewer else "anonymous"

    def load(self, loader_class: type, key: Any) -> Any:
        return self.loaders.get(loader_class).load(key)
