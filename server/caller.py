"""Who is asking, in the one shape every domain service takes.

A service needs three things about its caller: what it may see and do (the Authorizer), the name
its changes are recorded under (history events, audit entries), and the request id that ties
those records to the request's log lines. The GraphQL context builds one per request
(`info.context.caller`); REST routes build one from their pipeline call; the command line and
the demo loader build one with `Caller.system`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from server.authz.authorizer import Authorizer, Viewer
from server.authz.engine import engine

if TYPE_CHECKING:
    from server.pipeline import Call


@dataclass(frozen=True)
class Caller:
    authz: Authorizer
    actor: str
    request_id: str = ""
    # The pipeline's record of the request (interface, personal-data reads), when there is one.
    call: Call | None = None

    @property
    def viewer(self) -> Viewer | None:
        return self.authz.viewer

    @classmethod
    def of(cls, call: Call, authz: Authorizer | None = None) -> Caller:
        """The caller of a pipeline call; `authz` when the request already built its Authorizer
        (its scopes are cached per request)."""
        return cls(authz or call.authorizer(), call.actor, call.request_id, call)

    @classmethod
    def system(cls, actor: str, request_id: str = "", authz: Authorizer | None = None) -> Caller:
        """An operator's command (`lianxin …`) or the demo loader. Without `authz` it holds no
        grants: only services whose rules the operator is trusted with (it has the database
        already) accept it; give an Authorizer for a viewer to act as that viewer."""
        return cls(authz or Authorizer(engine, None), actor, request_id)
