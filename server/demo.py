"""Load the Dongguan demo data: the programme's story (docs/domain.md), end to end, in a few seconds.

The city and its 33 towns, 612 communities (Chang'an's 13 real ones, the rest plainly
generated), the departments, the deputy's "连心桥" proposal, 113 service stations and 116
community workstations operating by January 2022 plus the stations planned for 2022, the staff
posted to them, and Mr Wang's 30-minute ticket among about thirty others.

Everything goes through the Tortoise models (Tortoise is initialised by the caller) in one
transaction: either the whole demo is there or none of it, so "the city exists" is a sound test
for "already loaded". Variety comes from one seeded `random.Random`, so every load of an empty
database produces the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.transactions import in_transaction

from server import demo_data as data
from server.auth.demo_accounts import create_demo_accounts
from server.clock import CITY_TZ
from server.enums import (
    Amenity,
    DepartmentKind,
    HandlingUnitRole,
    JurisdictionLevel,
    PostingRole,
    ProposalStatus,
    Rating,
    ReplyResult,
    ResolutionMethod,
    StationFunction,
    StationKind,
    StationLevel,
    StationStatus,
    TaskStatus,
    TicketSource,
    TicketStatus,
)
from server.geo.models import Jurisdiction
from server.proposals.models import (
    Deputy,
    HandlingTask,
    Proposal,
    ProposalCosigner,
    ProposalEvent,
    ProposalRating,
    ProposalReply,
    ProposalUnit,
)
from server.staff.models import Department, Posting, Staff
from server.stations.models import Station, StationTarget
from server.tickets.models import Ticket, TicketCategory, TicketEvent

SEED = 20220110

# Account name → staff name. The login accounts are created elsewhere and find their staff row
# by this name, so every name here is unique in the demo data.
DEMO_STAFF: dict[str, str] = {
    "bureau": "市城管局工作人员",
    "chief-changan": "长安镇城管片长",
    "chief-humen": "虎门镇城管片长",
    "worker-xiagang": "厦岗社区工作人员",
    "worker-shatou": "沙头社区工作人员",
    "liaison": "市场监管局联络员",
    "congress": "人大常委会工作人员",
}

XIAGANG_STATION_CODE = "ss-changan-xiagang"
XIAGANG_STATION_NAME = "长安镇厦岗社区城市服务驿站"
WANG_TICKET_NUMBER = "DG-20220110-000001"
PROPOSAL_NUMBER = data.PROPOSAL_NUMBER

# Actors of history rows that no staff account stands behind.
HOTLINE_ACTOR = "hotline-12345"
SECOND_DEPUTY_ACTOR = "deputy2"

_ACCOUNT_BY_STAFF_NAME = {name: account for account, name in DEMO_STAFF.items()}
_BATCH = 500  # keeps every IN (...) list well under SQLite's bound-parameter limit

_OPENED_FROM = date(2021, 4, 1)  # after the proposal was submitted in early 2021
_OPENED_DAYS = (date(2021, 12, 31) - _OPENED_FROM).days
_CHIEFS_POSTED_ON = date(2021, 3, 1)

_ALL_FUNCTIONS = [f.value for f in StationFunction]
_WORKSTATION_FUNCTIONS = [
    StationFunction.CITY_MANAGEMENT.value,
    StationFunction.SERVICE_CONSULTATION.value,
]
# Every service station has these; the rest of the amenities vary from station to station.
_BASIC_AMENITIES = [Amenity.KETTLE.value, Amenity.MEDICINE_KIT.value, Amenity.PHONE_CHARGING.value]
_OPTIONAL_AMENITIES = [a.value for a in Amenity if a.value not in _BASIC_AMENITIES]

# Roughly how often each kind of problem is reported, for the generated tickets.
_CATEGORY_WEIGHTS = {
    "occupying_road": 4,
    "illegal_parking": 3,
    "littering": 2,
    "garbage_overflow": 2,
    "illegal_advertising": 2,
    "illegal_construction": 1,
    "noise": 1,
    "damaged_facility": 2,
    "green_space": 1,
}
_RESOLUTION_NOTES = {
    ResolutionMethod.SERVICE: "现场劝导，当事人自行整改 (persuaded on site; fixed voluntarily)",
    ResolutionMethod.MANAGEMENT: "责令限期整改并复查 (ordered to fix it by a deadline; re-checked)",
    ResolutionMethod.ENFORCEMENT: "依法立案查处 (case opened and penalised according to law)",
}

M = TypeVar("M", bound=Model)


def tokens(values: Iterable[str]) -> str:
    """A set of enum names as stored in Station.functions/amenities: " A B " (" " when empty).

    The surrounding spaces let "has X" be a portable LIKE '% X %'.
    """
    names = sorted(set(values))
    return " " + " ".join(names) + " " if names else " "


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Dongguan wall-clock time, timezone-aware as Tortoise (use_tz) expects."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CITY_TZ)


async def load_demo(
    *, only_if_empty: bool = False, progress: Callable[[str], None] = print
) -> dict[str, int]:
    """Load the demo once; return how many rows of each kind were created ({} when skipped)."""
    if only_if_empty and await Jurisdiction.exists():
        progress("database not empty: demo data not loaded")
        return {}
    if await Jurisdiction.filter(code=data.CITY_CODE).exists():
        progress("demo data already present")
        return {}
    loader = _Loader(random.Random(SEED), progress)
    async with in_transaction():
        await loader.run()
        loader.counts["accounts"] = await create_demo_accounts(progress)
        from server.stats.rollup import rebuild

        loader.counts["ticket_rollups"] = await rebuild()
        progress(f"figures: {loader.counts['ticket_rollups']} rollup rows computed from the tickets")
    progress("demo data loaded")
    return loader.counts


async def _create_keyed(model: type[M], objects: Sequence[M], key: str) -> dict[str, M]:
    """bulk_create, then read the rows back by a unique key.

    bulk_create does not return primary keys on every backend, and the rows are needed as
    foreign-key targets by the next stage.
    """
    wanted = [getattr(obj, key) for obj in objects]
    if len(set(wanted)) != len(wanted):
        raise ValueError(f"duplicate {model.__name__}.{key} in demo data")
    await model.bulk_create(objects, batch_size=_BATCH)
    found: dict[str, M] = {}
    for start in range(0, len(wanted), _BATCH):
        chunk = wanted[start : start + _BATCH]
        for row in await model.filter(**{f"{key}__in": chunk}):
            found[getattr(row, key)] = row
    if len(found) != len(wanted):
        raise RuntimeError(f"{model.__name__}: created {len(wanted)} rows, read back {len(found)}")
    return found


class _Loader:
    """One load of the demo. Each stage keeps the rows the later stages point to."""

    def __init__(self, rng: random.Random, progress: Callable[[str], None]) -> None:
        self.rng = rng
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.towns_by_slug = {town.slug: town for town in data.TOWNS}

        self.city: Jurisdiction
        self.towns: dict[str, Jurisdiction] = {}
        self.communities: dict[str, list[Jurisdiction]] = {}  # town slug → in creation order
        self.coords: dict[int, tuple[float, float]] = {}  # community id → (lat, lon)
        self.departments: dict[str, Department] = {}
        self.proposal: Proposal
        self.service_stations: dict[str, list[Station]] = {}  # town slug → operating ones
        self.workstations: dict[str, list[Station]] = {}
        self.stations_by_community: dict[int, list[Station]] = {}  # operating, service first
        self.staff: dict[str, Staff] = {}
        self.area_chiefs: dict[str, Staff] = {}  # town slug → chief
        self.registrars: dict[str, Staff] = {}  # station code → who registers walk-ins there
        self.categories: dict[str, TicketCategory] = {}

    async def run(self) -> None:
        await self.jurisdictions()
        await self.departments_stage()
        await self.proposals()
        await self.stations()
        await self.staff_and_postings()
        await self.ticket_categories()
        await self.tickets()

    # ---- helpers -------------------------------------------------------------------------

    def community(self, town_slug: str, slug: str) -> Jurisdiction:
        code = f"{data.CITY_CODE}/{town_slug}/{slug}"
        return next(c for c in self.communities[town_slug] if c.code == code)

    def place_label(self, town_slug: str, community: Jurisdiction) -> str:
        """长安镇厦岗社区; generated community names already start with the town's name."""
        town_name = self.towns_by_slug[town_slug].full_name
        if community.name.startswith(town_name):
            return community.name
        return town_name + community.name

    def near(self, community: Jurisdiction, spread: float) -> tuple[float, float]:
        lat, lon = self.coords[community.id]
        return (
            round(lat + self.rng.uniform(-spread, spread), 6),
            round(lon + self.rng.uniform(-spread, spread), 6),
        )

    def address(self, town_slug: str, community: Jurisdiction) -> str:
        # "示例路" (sample road) keeps generated addresses from passing for real ones.
        label = self.place_label(town_slug, community)
        return f"东莞市{label}示例路{self.rng.randint(1, 200)}号"

    @staticmethod
    def actor(staff: Staff) -> str:
        """The account name for demo accounts; otherwise a label no account can have."""
        return _ACCOUNT_BY_STAFF_NAME.get(staff.name, f"demo:{staff.name}")

    # ---- jurisdictions -------------------------------------------------------------------

    async def jurisdictions(self) -> None:
        self.city = await Jurisdiction.create(
            code=data.CITY_CODE,
            name=data.CITY_NAME,
            name_en=data.CITY_NAME_EN,
            level=JurisdictionLevel.CITY,
        )
        towns = await _create_keyed(
            Jurisdiction,
            [
                Jurisdiction(
                    code=town.code,
                    name=town.full_name,
                    name_en=town.name_en,
                    level=JurisdictionLevel.TOWN,
                    town_kind=town.kind,
                    parent_id=self.city.id,
                )
                for town in data.TOWNS
            ],
            "code",
        )
        self.towns = {town.slug: towns[town.code] for town in data.TOWNS}

        planned = [
            (
                town.slug,
                Jurisdiction(
                    code=code,
                    name=name,
                    name_en=name_en,
                    level=JurisdictionLevel.COMMUNITY,
                    generated_name=generated,
                    parent_id=self.towns[town.slug].id,
                ),
            )
            for town in data.TOWNS
            for code, name, name_en, generated in _community_names(town)
        ]
        created = await _create_keyed(Jurisdiction, [j for _, j in planned], "code")
        for town_slug, draft in planned:
            row = created[draft.code]
            self.communities.setdefault(town_slug, []).append(row)
            # Communities scatter around the town centre; stations and tickets scatter around them.
            town = self.towns_by_slug[town_slug]
            self.coords[row.id] = (
                town.lat + self.rng.uniform(-0.02, 0.02),
                town.lon + self.rng.uniform(-0.02, 0.02),
            )

        self.counts.update(jurisdictions=1 + len(towns) + len(created), towns=len(towns))
        self.counts["communities"] = len(created)
        self.progress(f"jurisdictions: 1 city, {len(towns)} towns, {len(created)} communities")

    # ---- departments ---------------------------------------------------------------------

    async def departments_stage(self) -> None:
        specs: list[Department] = [
            Department(
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                kind=spec.kind,
                jurisdiction_id=self.city.id,
            )
            for spec in data.CITY_DEPARTMENTS
        ]
        for town in data.TOWNS:
            name, name_en = data.TOWN_GOVERNMENT_NAMES[town.kind]
            specs.append(
                Department(
                    code=f"town-{town.slug}",
                    name=name.format(name=town.name),
                    name_en=name_en.format(name_en=town.name_en),
                    kind=DepartmentKind.TOWN_GOVERNMENT,
                    jurisdiction_id=self.towns[town.slug].id,
                )
            )
        # Departments have their own natural key; reuse any that someone already created.
        existing = {d.code: d for d in await Department.filter(code__in=[d.code for d in specs])}
        missing = [d for d in specs if d.code not in existing]
        created = await _create_keyed(Department, missing, "code") if missing else {}
        self.departments = {**existing, **created}
        self.counts["departments"] = len(created)
        self.progress(
            f"departments: {len(data.CITY_DEPARTMENTS)} city, {len(data.TOWNS)} town governments"
            + (f" ({len(existing)} already present)" if existing else "")
        )

    # ---- deputies and proposals ----------------------------------------------------------

    async def proposals(self) -> None:
        deputy = await Deputy.create(
            name=data.DEPUTY_NAME, delegation=data.DEPUTY_DELEGATION, jurisdiction=self.city
        )
        second = await Deputy.create(
            name=data.SECOND_DEPUTY_NAME,
            delegation=data.SECOND_DEPUTY_DELEGATION,
            jurisdiction=self.city,
        )

        # Left at SUBMITTED so that the workflow (register, assign, plan, reply, rate) can be
        # demonstrated live on it.
        submitted_at = at(date(2021, 2, 20), 10)
        self.proposal = await Proposal.create(
            number=data.PROPOSAL_NUMBER,
            congress_term=16,
            session=7,
            title=data.PROPOSAL_TITLE,
            summary=data.PROPOSAL_SUMMARY,
            body=data.PROPOSAL_BODY,
            status=ProposalStatus.SUBMITTED,
            jurisdiction=self.city,
            author=deputy,
            category="城市管理",
            submitted_at=submitted_at,
        )
        await ProposalCosigner.create(proposal=self.proposal, deputy=second)
        events = [
            ProposalEvent(
                proposal=self.proposal,
                actor="deputy",
                action="submit",
                from_status=ProposalStatus.DRAFT.value,
                to_status=ProposalStatus.SUBMITTED.value,
                at=submitted_at,
            )
        ]

        await Proposal.create(
            number=data.DRAFT_PROPOSAL["number"],
            congress_term=16,
            session=7,
            title=data.DRAFT_PROPOSAL["title"],
            summary=data.DRAFT_PROPOSAL["summary"],
            status=ProposalStatus.DRAFT,
            jurisdiction=self.city,
            author=second,
            category="城市管理",
        )
        events += await self._closed_proposal(second)
        await ProposalEvent.bulk_create(events)

        self.counts.update(deputies=2, proposals=3, proposal_events=len(events))
        self.progress(
            f"proposals: 2 deputies, 3 proposals ({data.PROPOSAL_NUMBER} SUBMITTED, "
            f"{data.DRAFT_PROPOSAL['number']} DRAFT, {data.CLOSED_PROPOSAL['number']} CLOSED)"
        )

    async def _closed_proposal(self, author: Deputy) -> list[ProposalEvent]:
        """A proposal of the previous session that went all the way, with its full history."""
        spec = data.CLOSED_PROPOSAL
        submitted = at(date(2020, 1, 8), 10)
        registered = at(date(2020, 1, 15), 10)
        assigned = at(date(2020, 1, 20), 10)
        handling = at(date(2020, 2, 3), 9)
        replied = at(date(2020, 4, 10), 15)
        rated = at(date(2020, 4, 20), 11)
        closed = at(date(2020, 4, 28), 10)
        bureau = self.departments["bureau"]
        proposal = await Proposal.create(
            number=spec["number"],
            congress_term=16,
            session=6,
            title=spec["title"],
            summary=spec["summary"],
            status=ProposalStatus.CLOSED,
            jurisdiction=self.city,
            author=author,
            category="城市管理",
            submitted_at=submitted,
            registered_at=registered,
            assigned_at=assigned,
            reply_due=date(2020, 4, 20),  # three months after assignment
            replied_at=replied,
            closed_at=closed,
        )
        await ProposalUnit.create(proposal=proposal, department=bureau, role=HandlingUnitRole.LEAD)
        await ProposalUnit.create(
            proposal=proposal,
            department=self.departments["housing"],
            role=HandlingUnitRole.CO_HANDLING,
            opinion_due=date(2020, 3, 20),
            opinion_at=at(date(2020, 3, 10), 16),
            opinion="同意牵头单位办理意见 (agrees with the lead unit's handling)",
        )
        await HandlingTask.bulk_create(
            [
                HandlingTask(
                    proposal=proposal,
                    title="梳理各镇街公园和广场饮水需求（示例任务）",
                    responsible_unit=bureau,
                    due_on=date(2020, 2, 29),
                    progress=100,
                    status=TaskStatus.DONE,
                    completed_at=at(date(2020, 2, 25), 17),
                ),
                HandlingTask(
                    proposal=proposal,
                    title="增设公共饮水点并纳入日常巡查（示例任务）",
                    responsible_unit=bureau,
                    due_on=date(2020, 4, 1),
                    progress=100,
                    status=TaskStatus.DONE,
                    completed_at=at(date(2020, 3, 30), 17),
                ),
            ]
        )
        reply = await ProposalReply.create(
            proposal=proposal,
            result=ReplyResult.SOLVED,
            body=spec["reply"],
            replied_by="bureau",
            replied_at=replied,
        )
        await ProposalRating.create(
            proposal=proposal, reply=reply, deputy=author, rating=Rating.SATISFIED, rated_at=rated
        )

        def event(
            actor: str,
            action: str,
            before: ProposalStatus | None,
            after: ProposalStatus | None,
            when: datetime,
            extra: dict[str, Any] | None = None,
        ) -> ProposalEvent:
            return ProposalEvent(
                proposal=proposal,
                actor=actor,
                action=action,
                from_status=before.value if before else None,
                to_status=after.value if after else None,
                data=extra,
                at=when,
            )

        return [
            event(SECOND_DEPUTY_ACTOR, "submit", ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, submitted),
            event("congress", "register", ProposalStatus.SUBMITTED, ProposalStatus.REGISTERED, registered),
            event(
                "congress",
                "assign",
                ProposalStatus.REGISTERED,
                ProposalStatus.ASSIGNED,
                assigned,
                {"lead": "bureau", "co_handling": ["housing"]},
            ),
            event("bureau", "start_handling", ProposalStatus.ASSIGNED, ProposalStatus.HANDLING, handling),
            event(
                "bureau",
                "reply",
                ProposalStatus.HANDLING,
                ProposalStatus.REPLIED,
                replied,
                {"result": ReplyResult.SOLVED.value},
            ),
            event(
                SECOND_DEPUTY_ACTOR,
                "rate",
                ProposalStatus.REPLIED,
                ProposalStatus.REPLIED,
                rated,
                {"rating": Rating.SATISFIED.value},
            ),
            event("congress", "close", ProposalStatus.REPLIED, ProposalStatus.CLOSED, closed),
        ]

    # ---- stations ------------------------------------------------------------------------

    async def stations(self) -> None:
        drafts: list[tuple[str, Station]] = []  # (town slug, station)
        for town in data.TOWNS:
            drafts += self._town_stations(town)
        created = await _create_keyed(Station, [s for _, s in drafts], "code")

        planned = 0
        for town_slug, draft in drafts:
            station = created[draft.code]
            if station.status != StationStatus.OPERATING:
                planned += 1
                continue
            by_kind = (
                self.service_stations if station.kind == StationKind.SERVICE_STATION else self.workstations
            )
            by_kind.setdefault(town_slug, []).append(station)
            self.stations_by_community.setdefault(station.jurisdiction_id, []).append(station)

        targets = [
            StationTarget(
                year=2022,
                jurisdiction_id=self.city.id,
                kind=StationKind.SERVICE_STATION,
                target=data.SERVICE_STATIONS_TARGET_2022,
                note="2022年计划新建城市服务驿站不少于200个 "
                "(at least 200 more service stations planned for 2022)",
            )
        ] + [
            StationTarget(
                year=2022,
                jurisdiction_id=self.towns[town.slug].id,
                kind=StationKind.SERVICE_STATION,
                target=town.planned_2022,
                note="2022年镇街建设目标（示例） (demo town target for 2022)",
            )
            for town in data.TOWNS
        ]
        await StationTarget.bulk_create(targets)

        service = sum(len(v) for v in self.service_stations.values())
        work = sum(len(v) for v in self.workstations.values())
        if (service, work) != (data.SERVICE_STATIONS_BUILT, data.COMMUNITY_WORKSTATIONS_BUILT):
            raise RuntimeError(f"demo data gives {service} + {work} operating stations")
        self.counts.update(
            stations=len(created),
            service_stations_operating=service,
            community_workstations_operating=work,
            service_stations_planned=planned,
            station_targets=len(targets),
        )
        credited = sum(1 for s in created.values() if s.proposal_id is not None)
        self.progress(
            f"stations: {service} + {work} operating, {planned} planned for 2022 "
            f"(target {data.SERVICE_STATIONS_TARGET_2022}), {credited} credited to "
            f"{data.PROPOSAL_NUMBER}"
        )

    def _town_stations(self, town: data.Town) -> list[tuple[str, Station]]:
        communities = self.communities[town.slug]
        rng = self.rng
        # Which communities get a station. Chang'an's are partly fixed by the story: Mr Wang
        # walked into the Xiagang station, and Xiagang and Shatou have workstations.
        if town.slug == data.CHANGAN:
            xiagang = self.community(town.slug, data.XIAGANG)
            shatou = self.community(town.slug, data.SHATOU)
            others = [c for c in communities if c not in (xiagang, shatou)]
            service_at = [xiagang, *rng.sample([shatou, *others], town.service_stations - 1)]
            work_at = [xiagang, shatou, *rng.sample(others, town.workstations - 2)]
        else:
            service_at = rng.sample(communities, town.service_stations)
            work_at = rng.sample(communities, town.workstations)

        stations: list[tuple[str, Station]] = []
        number = 0
        for index, community in enumerate(service_at):
            demonstration = index == 0 and town.slug in data.DEMONSTRATION_TOWNS
            if town.slug == data.CHANGAN and community.code.endswith("/" + data.XIAGANG):
                code, name = XIAGANG_STATION_CODE, XIAGANG_STATION_NAME
                credited = True
            else:
                number += 1
                code = f"ss-{town.slug}-{number:02d}"
                name = f"{town.full_name}城市服务驿站{number:02d}"
                credited = demonstration
            optional = rng.sample(_OPTIONAL_AMENITIES, rng.randint(1, len(_OPTIONAL_AMENITIES)))
            stations.append(
                (
                    town.slug,
                    self._station(
                        town.slug,
                        community,
                        code=code,
                        name=name,
                        kind=StationKind.SERVICE_STATION,
                        level=(StationLevel.CITY_DEMONSTRATION if demonstration else StationLevel.TOWN),
                        status=StationStatus.OPERATING,
                        functions=_ALL_FUNCTIONS,
                        amenities=[*_BASIC_AMENITIES, *optional],
                        floor_range=(30, 80),
                        rest_share=(0.65, 0.80),  # the rule is at least 60%
                        opening_hours=rng.choice(["08:00-20:00", "07:30-20:30", "08:00-22:00"]),
                        opened_on=_OPENED_FROM + timedelta(days=rng.randint(0, _OPENED_DAYS)),
                        credited=credited,
                    ),
                )
            )

        for community in work_at:
            slug = community.code.rsplit("/", 1)[1]
            stations.append(
                (
                    town.slug,
                    self._station(
                        town.slug,
                        community,
                        code=f"cw-{town.slug}-{slug}",
                        name=f"{self.place_label(town.slug, community)}城管服务工作站",
                        kind=StationKind.COMMUNITY_WORKSTATION,
                        level=StationLevel.COMMUNITY,
                        status=StationStatus.OPERATING,
                        functions=_WORKSTATION_FUNCTIONS,
                        amenities=rng.sample(_BASIC_AMENITIES, rng.randint(1, 3)),
                        floor_range=(20, 60),
                        rest_share=(0.35, 0.60),
                        opening_hours="08:30-17:30",
                        opened_on=_OPENED_FROM + timedelta(days=rng.randint(0, _OPENED_DAYS)),
                        credited=False,
                    ),
                )
            )

        # The 2022 programme: the first two of each town already being built, the rest planned.
        for number in range(1, town.planned_2022 + 1):
            stations.append(
                (
                    town.slug,
                    self._station(
                        town.slug,
                        rng.choice(communities),
                        code=f"ss-{town.slug}-2022-{number:02d}",
                        name=f"{town.full_name}2022年规划城市服务驿站{number:02d}",
                        kind=StationKind.SERVICE_STATION,
                        level=StationLevel.TOWN,
                        status=(StationStatus.UNDER_CONSTRUCTION if number <= 2 else StationStatus.PLANNED),
                        functions=_ALL_FUNCTIONS,
                        amenities=[],
                        floor_range=(30, 80),
                        rest_share=(0.65, 0.80),
                        opening_hours="",
                        opened_on=None,
                        planned_year=2022,
                        credited=False,
                    ),
                )
            )
        return stations

    def _station(
        self,
        town_slug: str,
        community: Jurisdiction,
        *,
        code: str,
        name: str,
        kind: StationKind,
        level: StationLevel,
        status: StationStatus,
        functions: Iterable[str],
        amenities: Iterable[str],
        floor_range: tuple[int, int],
        rest_share: tuple[float, float],
        opening_hours: str,
        opened_on: date | None,
        credited: bool,
        planned_year: int | None = None,
    ) -> Station:
        floor_area = round(self.rng.uniform(*floor_range), 1)
        # Rounded down so that the share never drops below its lower bound after rounding.
        rest_area = int(floor_area * self.rng.uniform(*rest_share) * 10) / 10
        lat, lon = self.near(community, 0.004)
        return Station(
            code=code,
            name=name,
            kind=kind,
            level=level,
            status=status,
            functions=tokens(functions),
            amenities=tokens(amenities),
            floor_area=floor_area,
            rest_area=rest_area,
            opening_hours=opening_hours,
            address=self.address(town_slug, community),
            latitude=lat,
            longitude=lon,
            jurisdiction_id=community.id,
            proposal_id=self.proposal.id if credited else None,
            planned_year=planned_year,
            opened_on=opened_on,
        )

    # ---- staff and postings --------------------------------------------------------------

    async def staff_and_postings(self) -> None:
        bureau = self.departments["bureau"]
        xiagang_station = next(
            s for s in self.service_stations[data.CHANGAN] if s.code == XIAGANG_STATION_CODE
        )
        shatou = self.community(data.CHANGAN, data.SHATOU)
        xiagang = self.community(data.CHANGAN, data.XIAGANG)

        # Until the staff rows have ids, postings and the maps below refer to staff by name.
        staff: list[Staff] = []
        postings: list[tuple[str, Posting]] = []
        chief_names: dict[str, str] = {}  # town slug → area chief
        registrar_names: dict[str, str] = {}  # station code → who registers walk-ins there

        def person(name: str, title: str, department: Department, jurisdiction_id: int) -> str:
            staff.append(
                Staff(
                    name=name,
                    title=title,
                    department_id=department.id,
                    jurisdiction_id=jurisdiction_id,
                )
            )
            return name

        def post(
            name: str,
            role: PostingRole,
            jurisdiction_id: int,
            station: Station | None,
            department: Department,
            started_on: date,
        ) -> None:
            postings.append(
                (
                    name,
                    Posting(
                        station_id=station.id if station else None,
                        jurisdiction_id=jurisdiction_id,
                        role=role,
                        department_id=department.id,
                        started_on=started_on,
                    ),
                )
            )

        person(DEMO_STAFF["bureau"], "市城管局工作人员", bureau, self.city.id)
        person(DEMO_STAFF["congress"], "人大常委会工作人员", self.departments["congress"], self.city.id)

        team_members = 0
        community_workers = 0

        def team_member(town: data.Town, station: Station) -> str:
            nonlocal team_members
            team_members += 1
            name = person(f"城管队员{team_members:04d}", "城管队员", bureau, self.towns[town.slug].id)
            post(
                name,
                PostingRole.TEAM_MEMBER,
                station.jurisdiction_id,
                station,
                bureau,
                station.opened_on or _CHIEFS_POSTED_ON,
            )
            return name

        for town in data.TOWNS:
            town_row = self.towns[town.slug]
            town_government = self.departments[f"town-{town.slug}"]
            service_stations = self.service_stations[town.slug]
            # One area chief per town, based at the town's first service station.
            chief = person(f"{town.full_name}城管片长", "城管片长", bureau, town_row.id)
            post(
                chief,
                PostingRole.AREA_CHIEF,
                town_row.id,
                service_stations[0],
                bureau,
                _CHIEFS_POSTED_ON + timedelta(days=self.rng.randint(0, 30)),
            )
            chief_names[town.slug] = chief

            for station in service_stations:
                registrar_names[station.code] = team_member(town, station)

            # Workstations are staffed jointly by a team member and a community worker.
            for station in self.workstations[town.slug]:
                team_member(town, station)
                if station.jurisdiction_id == shatou.id:
                    name = DEMO_STAFF["worker-shatou"]
                else:
                    community_workers += 1
                    name = f"社区工作人员{community_workers:04d}"
                person(name, "社区工作人员", town_government, station.jurisdiction_id)
                post(
                    name,
                    PostingRole.COMMUNITY_WORKER,
                    station.jurisdiction_id,
                    station,
                    town_government,
                    station.opened_on or _CHIEFS_POSTED_ON,
                )
                registrar_names[station.code] = name

        # Mr Wang's station: its community worker registers walk-ins there.
        changan_government = self.departments[f"town-{data.CHANGAN}"]
        worker = person(DEMO_STAFF["worker-xiagang"], "社区工作人员", changan_government, xiagang.id)
        post(
            worker,
            PostingRole.COMMUNITY_WORKER,
            xiagang.id,
            xiagang_station,
            changan_government,
            xiagang_station.opened_on or _CHIEFS_POSTED_ON,
        )
        registrar_names[XIAGANG_STATION_CODE] = worker

        # The "N" of "1+N": departments post liaisons, granted city-wide, at stations. The demo
        # market liaison sits at Xiagang; every N department has one at each demonstration station.
        market = self.departments["market"]
        liaison = person(DEMO_STAFF["liaison"], "部门联络员", market, self.city.id)
        post(
            liaison,
            PostingRole.DEPARTMENT_LIAISON,
            self.city.id,
            xiagang_station,
            market,
            xiagang_station.opened_on or _CHIEFS_POSTED_ON,
        )
        demonstration = [
            s
            for stations in self.service_stations.values()
            for s in stations
            if s.level == StationLevel.CITY_DEMONSTRATION
        ]
        for spec in data.CITY_DEPARTMENTS:
            if spec.kind != DepartmentKind.DEPARTMENT:
                continue
            department = self.departments[spec.code]
            for number, station in enumerate(demonstration, start=1):
                name = person(f"{spec.short_name}联络员{number:02d}", "部门联络员", department, self.city.id)
                post(
                    name,
                    PostingRole.DEPARTMENT_LIAISON,
                    self.city.id,
                    station,
                    department,
                    station.opened_on or _CHIEFS_POSTED_ON,
                )

        self.staff = await _create_keyed(Staff, staff, "name")
        await Posting.bulk_create(
            [_with_staff(posting, self.staff[name]) for name, posting in postings],
            batch_size=_BATCH,
        )
        self.area_chiefs = {slug: self.staff[name] for slug, name in chief_names.items()}
        self.registrars = {code: self.staff[name] for code, name in registrar_names.items()}

        self.counts.update(staff=len(self.staff), postings=len(postings))
        self.progress(
            f"staff: {len(self.staff)} ({len(data.TOWNS)} area chiefs, "
            f"{team_members} team members, {community_workers + 2} community workers), "
            f"{len(postings)} postings"
        )

    # ---- tickets -------------------------------------------------------------------------

    async def ticket_categories(self) -> None:
        codes = [spec.code for spec in data.TICKET_CATEGORIES]
        existing = {c.code: c for c in await TicketCategory.filter(code__in=codes)}
        missing = [
            TicketCategory(
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                response_minutes=spec.response_minutes,
                resolution_minutes=spec.resolution_minutes,
            )
            for spec in data.TICKET_CATEGORIES
            if spec.code not in existing
        ]
        created = await _create_keyed(TicketCategory, missing, "code") if missing else {}
        self.categories = {**existing, **created}
        self.counts["ticket_categories"] = len(created)
        self.progress(
            f"ticket categories: {len(created)} created"
            + (f", {len(existing)} already present" if existing else "")
        )

    async def tickets(self) -> None:
        tickets, events = self._wang_ticket()
        more_tickets, more_events = self._generated_tickets()
        tickets += more_tickets
        events += more_events
        events += self._transfer_to_market(more_tickets)

        created = await _create_keyed(Ticket, tickets, "number")
        await TicketEvent.bulk_create(
            [_with_ticket(event, created[number]) for number, event in events],
            batch_size=_BATCH,
        )
        by_status: dict[str, int] = {}
        for ticket in created.values():
            by_status[ticket.status.value] = by_status.get(ticket.status.value, 0) + 1
        self.counts.update(tickets=len(created), ticket_events=len(events))
        summary = ", ".join(f"{count} {status}" for status, count in sorted(by_status.items()))
        self.progress(
            f"tickets: {len(created)} ({summary}), {len(events)} events; "
            f"Mr Wang's {WANG_TICKET_NUMBER} closed 30 minutes after registration"
        )

    def _transfer_to_market(self, tickets: list[Ticket]) -> list[tuple[str, TicketEvent]]:
        """The "N" of 1+N: two dispatched tickets outside Chang'an go to the market regulator,
        so its liaison has a queue of its own."""
        changan_ids = {c.id for c in self.communities[data.CHANGAN]}
        market = self.departments["market"]
        events = []
        candidates = [
            t
            for t in tickets
            if t.status in (TicketStatus.DISPATCHED, TicketStatus.REGISTERED)
            and t.jurisdiction_id not in changan_ids
        ]
        for ticket in candidates[:2]:
            when = (ticket.dispatched_at or ticket.registered_at) + timedelta(minutes=20)
            previous = ticket.status
            ticket.status = TicketStatus.TRANSFERRED
            ticket.department_id = market.id
            ticket.department_status = "RECEIVED"
            events.append(
                (
                    ticket.number,
                    TicketEvent(
                        actor="bureau",
                        action="transfer",
                        from_status=previous.value,
                        to_status=TicketStatus.TRANSFERRED.value,
                        comment="转市场监管局处理 (transferred to the market regulator)",
                        at=when,
                    ),
                )
            )
        return events

    def _wang_ticket(self) -> tuple[list[Ticket], list[tuple[str, TicketEvent]]]:
        """Mr Wang at the Xiagang station, 10 January 2022: registered 09:00, done by 09:30."""
        category = self.categories["occupying_road"]
        station = next(s for s in self.service_stations[data.CHANGAN] if s.code == XIAGANG_STATION_CODE)
        worker = self.registrars[XIAGANG_STATION_CODE]
        chief = self.area_chiefs[data.CHANGAN]
        day = date(2022, 1, 10)
        registered = at(day, 9, 0)
        ticket = Ticket(
            number=WANG_TICKET_NUMBER,
            source=TicketSource.WALK_IN,
            category_id=category.id,
            description="商铺占道经营 (shops occupying the road for business)",
            address=station.address,
            latitude=station.latitude,
            longitude=station.longitude,
            jurisdiction_id=station.jurisdiction_id,
            station_id=station.id,
            reporter_name="王先生",
            reporter_phone="13800000001",
            registered_by_id=worker.id,
            assignee_id=chief.id,
            status=TicketStatus.CLOSED,
            resolution_method=ResolutionMethod.SERVICE,
            resolution_note="现场劝导，店主自行整改 (persuaded on site; the shop owner fixed it)",
            citizen_satisfied=True,
            registered_at=registered,
            dispatched_at=at(day, 9, 5),
            on_site_at=at(day, 9, 15),
            resolved_at=registered + timedelta(minutes=30),
            closed_at=at(day, 9, 40),
            response_due=registered + timedelta(minutes=category.response_minutes),
            resolution_due=registered + timedelta(minutes=category.resolution_minutes),
        )
        return [ticket], [
            (ticket.number, event)
            for event in _history(ticket, self.actor(worker), self.actor(chief), self.actor(worker))
        ]

    def _generated_tickets(self) -> tuple[list[Ticket], list[tuple[str, TicketEvent]]]:
        rng = self.rng
        places = self._ticket_places()
        rng.shuffle(places)  # so that the open tickets are not all in the last-listed towns

        days = [d for d in range(3, 29) if d != 10]  # the 10th is left to Mr Wang's ticket
        times = sorted(
            at(date(2022, 1, rng.choice(days)), 8) + timedelta(minutes=rng.randint(0, 600)) for _ in places
        )
        # Oldest first: the older tickets are done, the newest still open, as in a real queue.
        done = [TicketStatus.CLOSED] * 14 + [TicketStatus.RESOLVED] * 6
        still_open = (
            [TicketStatus.ON_SITE] * 3 + [TicketStatus.DISPATCHED] * 3 + [TicketStatus.REGISTERED] * 4
        )
        rng.shuffle(done)
        rng.shuffle(still_open)
        statuses = done + still_open
        # The 721 work method: 70% service, 20% management, 10% enforcement, over the done ones.
        methods = (
            [ResolutionMethod.SERVICE] * 14
            + [ResolutionMethod.MANAGEMENT] * 4
            + [ResolutionMethod.ENFORCEMENT] * 2
        )
        rng.shuffle(methods)
        if len(statuses) != len(places) or len(methods) != len(done):
            raise ValueError("demo ticket plan: places, statuses and methods do not match")

        category_codes = list(_CATEGORY_WEIGHTS)
        weights = list(_CATEGORY_WEIGHTS.values())
        per_day: dict[date, int] = {}
        tickets: list[Ticket] = []
        events: list[tuple[str, TicketEvent]] = []
        for index, ((town_slug, community), registered, status) in enumerate(
            zip(places, times, statuses, strict=True)
        ):
            day = registered.date()
            per_day[day] = per_day.get(day, 0) + 1
            number = f"DG-{day:%Y%m%d}-{per_day[day]:06d}"
            code = rng.choices(category_codes, weights)[0]
            spec = next(c for c in data.TICKET_CATEGORIES if c.code == code)
            category = self.categories[spec.code]

            stations = self.stations_by_community.get(community.id, [])
            walk_in = bool(stations) and rng.random() < 0.7
            station = stations[0] if walk_in else None
            registrar = self.registrars[station.code] if station else None
            chief = self.area_chiefs[town_slug]

            stem = data.HEAVENLY_STEMS[index % 10]
            round_ = index // 10 + 1
            lat, lon = self.near(community, 0.005)
            ticket = Ticket(
                number=number,
                source=TicketSource.WALK_IN if walk_in else TicketSource.HOTLINE_12345,
                category_id=category.id,
                description=spec.description,
                address=self.address(town_slug, community) + "附近",
                latitude=lat,
                longitude=lon,
                jurisdiction_id=community.id,
                station_id=station.id if station else None,
                reporter_name=f"市民{stem}" + (str(round_) if round_ > 1 else ""),
                reporter_phone=f"138000000{index + 2:02d}",
                registered_by_id=registrar.id if registrar else None,
                status=status,
                registered_at=registered,
                response_due=registered + timedelta(minutes=category.response_minutes),
                resolution_due=registered + timedelta(minutes=category.resolution_minutes),
            )
            self._advance(ticket, status, category, chief, methods)
            register_actor = self.actor(registrar) if registrar else HOTLINE_ACTOR
            close_actor = self.actor(registrar) if registrar else self.actor(chief)
            tickets.append(ticket)
            events += [
                (number, event) for event in _history(ticket, register_actor, self.actor(chief), close_actor)
            ]
        return tickets, events

    def _ticket_places(self) -> list[tuple[str, Jurisdiction]]:
        places: list[tuple[str, Jurisdiction]] = []
        for town_slug, community_slug, count in data.TICKET_PLACES:
            if community_slug is not None:
                places += [(town_slug, self.community(town_slug, community_slug))] * count
                continue
            # Communities of the town that have a station, taken in turn.
            with_station = [c for c in self.communities[town_slug] if c.id in self.stations_by_community]
            places += [(town_slug, with_station[i % len(with_station)]) for i in range(count)]
        return places

    def _advance(
        self,
        ticket: Ticket,
        status: TicketStatus,
        category: TicketCategory,
        chief: Staff,
        methods: list[ResolutionMethod],
    ) -> None:
        """Fill in the timestamps and outcome of every step the ticket has been through."""
        rng = self.rng
        order = [
            TicketStatus.REGISTERED,
            TicketStatus.DISPATCHED,
            TicketStatus.ON_SITE,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        ]
        reached = order.index(status)
        # The whole timeline is drawn for every ticket, then cut at the status it has reached.
        registered: datetime = ticket.registered_at
        dispatched = registered + timedelta(minutes=rng.randint(2, 15))
        on_site = dispatched + timedelta(minutes=rng.randint(5, 40))
        # Mostly within the category's time, some late, so the overdue figures are not empty.
        target = category.resolution_minutes
        took = timedelta(minutes=rng.randint(target // 5, target * 21 // 20))
        resolved = max(registered + took, on_site + timedelta(minutes=5))
        closed = resolved + timedelta(minutes=rng.randint(10, 120))
        satisfied = rng.random() > 0.1

        if reached >= 1:
            ticket.assignee_id = chief.id
            ticket.dispatched_at = dispatched
        if reached >= 2:
            ticket.on_site_at = on_site
        if reached >= 3:
            method = methods.pop()
            ticket.resolved_at = resolved
            ticket.resolution_method = method
            ticket.resolution_note = _RESOLUTION_NOTES[method]
        if reached >= 4:
            ticket.closed_at = closed
            ticket.citizen_satisfied = satisfied


def _community_names(town: data.Town) -> list[tuple[str, str, str, bool]]:
    """(code, name, name_en, generated) of a town's communities.

    Chang'an's are real; elsewhere the real names are not at hand, so they are plainly generated.
    """
    if town.slug == data.CHANGAN:
        return [
            (f"{town.code}/{slug}", f"{name}社区", name_en, False)
            for name, name_en, slug in data.CHANGAN_COMMUNITIES
        ]
    return [
        (
            f"{town.code}/c{n:02d}",
            f"{town.full_name}示例社区{n}",
            f"{town.name_en} sample community {n}",
            True,
        )
        for n in range(1, town.communities + 1)
    ]


def _history(ticket: Ticket, registrar: str, chief: str, closer: str) -> list[TicketEvent]:
    """The TicketEvents for every step a demo ticket has been through, in order."""
    steps: list[tuple[str, str, TicketStatus | None, TicketStatus, datetime | None, Any]] = [
        (
            registrar,
            "register",
            None,
            TicketStatus.REGISTERED,
            ticket.registered_at,
            {"source": ticket.source.value},
        ),
        (
            chief,
            "dispatch",
            TicketStatus.REGISTERED,
            TicketStatus.DISPATCHED,
            ticket.dispatched_at,
            {"assignee_id": ticket.assignee_id},
        ),
        (chief, "arrive", TicketStatus.DISPATCHED, TicketStatus.ON_SITE, ticket.on_site_at, None),
        (
            chief,
            "resolve",
            TicketStatus.ON_SITE,
            TicketStatus.RESOLVED,
            ticket.resolved_at,
            {"resolution_method": ticket.resolution_method.value if ticket.resolution_method else None},
        ),
        (
            closer,
            "close",
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
            ticket.closed_at,
            {"citizen_satisfied": ticket.citizen_satisfied},
        ),
    ]
    return [
        TicketEvent(
            actor=actor,
            action=action,
            from_status=before.value if before else None,
            to_status=after.value,
            data=extra,
            at=when,
        )
        for actor, action, before, after, when, extra in steps
        if when is not None
    ]


def _with_staff(posting: Posting, staff: Staff) -> Posting:
    posting.staff_id = staff.id
    return posting


def _with_ticket(event: TicketEvent, ticket: Ticket) -> TicketEvent:
    event.ticket_id = ticket.id
    return event
