"""Demo login accounts (password lianxin-demo), created with the demo data and nowhere else."""

from __future__ import annotations

from collections.abc import Callable

from server.auth.models import User
from server.auth.service import hash_password
from server.authz.engine import bump_version
from server.authz.models import CasbinRule
from server.proposals.models import Deputy
from server.staff.models import Department, Staff

DEMO_PASSWORD = "lianxin-demo"  # noqa: S105 - public and documented; only demo data has these accounts

# account: (display name, role, jurisdiction code, staff name, deputy name, department code)
DEMO_ACCOUNTS: dict[str, tuple[str, str, str, str | None, str | None, str | None]] = {
    "admin": ("系统管理员 (admin)", "admin", "dongguan", None, None, None),
    "bureau": ("市城管局工作人员", "bureau-staff", "dongguan", "市城管局工作人员", None, "bureau"),
    "congress": ("人大常委会工作人员", "congress-staff", "dongguan", "人大常委会工作人员", None, "congress"),
    "deputy": ("示例代表", "deputy", "dongguan", None, "示例代表", None),
    "deputy2": ("示例代表二", "deputy", "dongguan", None, "示例代表二", None),
    "chief-changan": ("长安镇城管片长", "area-chief", "dongguan/changan", "长安镇城管片长", None, "bureau"),
    "chief-humen": ("虎门镇城管片长", "area-chief", "dongguan/humen", "虎门镇城管片长", None, "bureau"),
    "worker-xiagang": (
        "厦岗社区工作人员",
        "community-worker",
        "dongguan/changan/xiagang",
        "厦岗社区工作人员",
        None,
        None,
    ),
    "worker-shatou": (
        "沙头社区工作人员",
        "community-worker",
        "dongguan/changan/shatou",
        "沙头社区工作人员",
        None,
        None,
    ),
    "liaison": ("市场监管局联络员", "department-liaison", "dongguan", "市场监管局联络员", None, "market"),
}


async def create_demo_accounts(progress: Callable[[str], None] = print) -> int:
    password_hash = await hash_password(DEMO_PASSWORD)  # one argon2 hash, shared: demo only
    created = 0
    for username, (display, role, code, staff_name, deputy_name, dept_code) in DEMO_ACCOUNTS.items():
        if await User.exists(username=username):
            continue
        staff = await Staff.get_or_none(name=staff_name) if staff_name else None
        deputy = await Deputy.get_or_none(name=deputy_name) if deputy_name else None
        department = await Department.get_or_none(code=dept_code) if dept_code else None
        await User.create(
            username=username,
            display_name=display,
            password_hash=password_hash,
            staff=staff,
            deputy=deputy,
            department=department,
        )
        await CasbinRule.get_or_create(ptype="g", v0=f"user:{username}", v1=role, v2=code)
        created += 1
    await bump_version()
    progress(f"accounts: {created} demo logins (password {DEMO_PASSWORD}): {', '.join(DEMO_ACCOUNTS)}")
    return created
