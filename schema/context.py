from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from schema.limits import RowBudget, current_budget
from schema.loaders import Loaders
from server.authz.authorizer import Authorizer, Viewer
from server.authz.engine import engine
from server.settings import settings


@dataclass
class Context:
    request: Any
    response: Any = None
    viewer: Viewer | None = None
    auth_error: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    connection_params: dict[str, Any] | None = None  # set by graphql-transport-ws connection_init
    # (ticket id, number, field) of every citizen's name or phone read in this request
    personal_reads: list[tuple[int, str, str]] = field(default_factory=list)
    authz: Authorizer = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.authz = Authorizer(engine, self.viewer, self.auth_error)
        self.loaders = Loaders(self)
        # Built in the request's task, so every resolver of this request draws on the same budget.
        current_budget.set(RowBudget(settings.max_rows_per_request))

    async def authenticate_connection(self) -> None:
        """A WebSocket may carry its credentials in connection_init rather than headers."""
        if self.viewer is not None or not isinstance(self.connection_params, dict):
            return
        from server.auth.service import AuthFailure, identify

        params = {str(k).lower(): v for k, v in self.connection_params.items()}
        authorization = params.get("authorization")
        key = params.get("x-api-key")
        try:
            viewer = await identify(str(authorization) if authorization else None, str(key) if key else None)
        except AuthFailure as exc:
            self.auth_error = exc.message
            self.authz = Authorizer(engine, None, exc.message)
            return
        if viewer is not None:
            self.viewer = viewer
            self.authz = Authorizer(engine, viewer)

    @property
    def actor(self) -> str:
        return self.viewer.name if self.viewer else "anonymous"

    def load(self, loader_class: type, key: Any) -> Any:
        return self.loaders.get(loader_class).load(key)
