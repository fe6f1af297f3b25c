from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from schema.loaders import Loaders
from server.authz.authorizer import Authorizer, Viewer
from server.authz.engine import engine


@dataclass
class Context:
    request: Any
    response: Any = None
    viewer: Viewer | None = None
    auth_error: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    authz: Authorizer = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.authz = Authorizer(engine, self.viewer, self.auth_error)
        self.loaders = Loaders(self)

    @property
    def actor(self) -> str:
        return self.viewer.name if self.viewer else "anonymous"

    def load(self, loader_class: type, key: Any) -> Any:
        return self.loaders.get(loader_class).load(key)
