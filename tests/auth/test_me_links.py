"""`me` links the caller to its staff member, deputy and department: typed, null when not linked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import data

ME = "{ me { username staff { name } deputy { name } department { code } } }"


@pytest.mark.parametrize(
    ("user", "staff", "deputy", "department"),
    [
        ("deputy", None, "示例代表", None),
        ("bureau", "市城管局工作人员", None, "bureau"),
        ("worker-xiagang", "厦岗社区工作人员", None, None),
        ("liaison", "市场监管局联络员", None, "market"),
        ("admin", None, None, None),
    ],
)
async def test_me_links(
    gql: Any, user: str, staff: str | None, deputy: str | None, department: str | None
) -> None:
    me = data(await gql(ME, as_user=user))["me"]
    assert me == {
        "username": user,
        "staff": staff and {"name": staff},
        "deputy": deputy and {"name": deputy},
        "department": department and {"code": department},
    }
