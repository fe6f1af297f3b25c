from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schema.limits import RowBudget, current_budget
from schema.loaders import Loaders
from server.authz.authorizer import Authorizer, Viewer
from server.caller import Caller
from server.pipeline import Call, PersonalRead
from server.settings import settings

if TYPE_CHECKING:
    from schema.websocket import LiveSession


@dataclass
class Context:
    """A GraphQL request's (or WebSocket connection's) context, around the pipeline's call: who is
    asking, its rate decision, the personal data it read (server.pipeline)."""

    request: Any
    response: Any = None
    call: Call = field(default_factory=lambda: Call(interface="graphql"))
    connection_params: dict[str, Any] | None = None  # set by graphql-transport-ws connection_init
    # A graphql-transport-ws connection's caller, re-checked while the socket is open
    # (schema/websocket.py); None over HTTP.
    live: LiveSession | None = None
    authz: Authorizer = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.authz = self.call.authorizer()
        self.loaders = Loaders(self)
        # Built in the request's task, so every resolver of this request draws on the same budget.
        current_budget.set(RowBudget(settings.max_rows_per_request))

    @property
    def caller(self) -> Caller:
        """Who is asking, as every domain service takes it. Built from the current Authorizer,
        which a WebSocket connection replaces when it re-checks its caller."""
        return Caller.of(self.call, self.authz)

    @property
    def viewer(self) -> Viewer | None:
        return self.call.viewer

    @property
    def auth_error(self) -> str | None:
        return self.call.auth_error

    @property
    def request_id(self) -> str:
        return self.call.request_id

    @property
    def personal_reads(self) -> list[PersonalRead]:
        """(ticket id, number, field) of every citizen's name or phone read in this request."""
        return self.call.personal_reads

    @property
    def actor(self) -> str:
        return self.call.actor

    def load(self, loader_class: type, key: Any) -> Any:
        return self.loaders.get(loader_class).load(key)
