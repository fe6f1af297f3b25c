from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from schema.loaders import Loaders


@dataclass
class Context:
    request: Request | None
    response: Any = None
    loaders: Loaders = field(default_factory=Loaders)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    actor: str = "anonymous"

    def load(self, loader_class: type, key: Any) -> Any:
        return self.loaders.get(loader_class).load(key)
