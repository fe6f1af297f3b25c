"""Load the Dongguan demo data: the service-station programme's story, end to end, in seconds.

The city and its 33 towns, 612 communities (Chang'an's 13 real ones, the rest plainly
generated), the departments, the deputy's "连心桥" proposal, 113 service stations and 116
community workstations operating by January 2022 plus the stations planned for 2022, the staff
posted to them, and Mr Wang's 30-minute ticket among about thirty others.

Reference data that no service writes (places, departments, staff, ticket categories, targets)
goes in bulk through the Tortoise models. Stations, postings, proposals and tickets go through
the domain services, as the demo's people, each workflow step at the story's time
(server/demo_story.py): the services' rules hold for the demo too, and its histories, audit
entries and ticket figures are the workflow's own. All of it in one transaction (Tortoise is
initialised by the caller): either the whole demo is there or none of it, so "the city exists"
is a sound test for "already loaded". Variety comes from one seeded `random.Random`, so every
load of an empty database produces the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

from tortoise.models import Model
from tortoise.transactions import in_transaction

from server import demo_data as data
from server.auth.demo_accounts import DEMO_ACCOUNTS, create_demo_accounts
from server.calendar.service import natural_times, unit_columns
from server.clock import CITY_TZ
from server.demo_story import HOTLINE, Cast, TicketPlan, tell_ticket
from server.enums import (
    Amenity,
    DepartmentKind,
    JurisdictionLevel,
    PostingRole,
    Rating,
    ReplyResult,
    ResolutionMethod,
    StationFunction,
    StationKind,
    StationLevel,
    StationStatus,
    TicketSource,
    TicketStatus,
)
from server.geo.models import Jurisdiction
from server.proposals import handling
from server.proposals import service as proposals
from server.proposals.models import Deputy, HandlingTask, Proposal, ProposalEvent
from server.staff import service as staff_service
from server.staff.models import Department, Posting, Staff
from server.staff.service import PostingData
from server.stations import service as station_service
from server.stations.models import Station, StationTarget
from server.stations.service import StationData
from server.stats import rollup
from server.stats.models import TicketRollup
from server.tickets.intake import Intake
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

_ACCOUNT_BY_STAFF_NAME = {name: account for account, name in DEMO_STAFF.items()}
_BATCH = 500  # keeps every IN (...) list well under SQLite's bound-parameter limit

_OPENED_FROM = date(2021, 4, 1)  # after the proposal was submitted in early 2021
_OPENED_DAYS = (date(2021, 12, 31) - _OPENED_FROM).days
_CHIEFS_POSTED_ON = date(2021, 3, 1)

_ALL_FUNCTIONS = list(StationFunction)
_WORKSTATION_FUNCTIONS = [StationFunction.CITY_MANAGEMENT, StationFunction.SERVICE_CONSULTATION]
# Every service station has these; the rest of the amenities vary from station to station.
_BASIC_AMENITIES = [Amenity.KETTLE, Amenity.MEDICINE_KIT, Amenity.PHONE_CHARGING]
_OPTIONAL_AMENITIES = [a for a in Amenity if a not in _BASIC_AMENITIES]

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
    loader = _Loader(random.Random(SEED), progress)  # noqa: S311 - seeded on purpose: the same demo every time
    async with in_transaction():
        await loader.run()
        loader.counts["accounts"] = await create_demo_accounts(progress)
        loader.counts["ticket_rollups"] = await TicketRollup.all().count()
        progress(f"figures: {loader.counts['ticket_rollups']} rollup rows kept by the ticket workflow")
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
        self.cast = Cast()

    async def run(self) -> None:
        await self.jurisdictions()
        await self.cast.start()
        if rollup.engine.tree.code(self.city.id) is None:
            rollup.engine.tree = self.cast.engine.tree  # the figures are kept at every level
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
        cast = self.cast
        await cast.add_account("deputy", deputy_id=deputy.id)
        await cast.add_account("deputy2", deputy_id=second.id)
        await cast.add_account("congress", department_id=self.departments["congress"].id)
        await cast.add_account("bureau", department_id=self.departments["bureau"].id)

        # Left at SUBMITTED so that the workflow (register, assign, plan, reply, rate) can be
        # demonstrated live on it.
        day = date(2021, 2, 20)
        self.proposal = await cast.at(
            at(day, 9, 30),
            proposals.create_proposal(
                proposals.DraftData(
                    congress_term=16,
                    session=7,
                    title=data.PROPOSAL_TITLE,
                    summary=data.PROPOSAL_SUMMARY,
                    body=data.PROPOSAL_BODY,
                    category="城市管理",
                    cosigner_ids=[second.id],
                ),
                cast.caller("deputy"),
            ),
        )
        self.proposal = await cast.at(
            at(day, 10),
            proposals.submit_proposal(self.proposal.id, self.proposal.version, "", cast.caller("deputy")),
        )

        draft = await cast.at(
            at(date(2021, 12, 20), 16),
            proposals.create_proposal(
                proposals.DraftData(
                    congress_term=16,
                    session=7,
                    title=data.DRAFT_PROPOSAL["title"],
                    summary=data.DRAFT_PROPOSAL["summary"],
                    category="城市管理",
                ),
                cast.caller("deputy2"),
            ),
        )
        closed = await self._closed_proposal()
        numbers = (self.proposal.number, draft.number, closed.number)
        if numbers != (data.PROPOSAL_NUMBER, data.DRAFT_PROPOSAL["number"], data.CLOSED_PROPOSAL["number"]):
            raise RuntimeError(f"demo proposals numbered {numbers}")

        self.counts.update(deputies=2, proposals=3, proposal_events=await ProposalEvent.all().count())
        self.progress(
            f"proposals: 2 deputies, 3 proposals ({data.PROPOSAL_NUMBER} SUBMITTED, "
            f"{data.DRAFT_PROPOSAL['number']} DRAFT, {data.CLOSED_PROPOSAL['number']} CLOSED)"
        )

    async def _closed_proposal(self) -> Proposal:
        """A proposal of the previous session that went all the way, step by step."""
        spec = data.CLOSED_PROPOSAL
        cast = self.cast
        deputy2, congress, bureau = cast.caller("deputy2"), cast.caller("congress"), cast.caller("bureau")
        proposal = await cast.at(
            at(date(2020, 1, 8), 9, 30),
            proposals.create_proposal(
                proposals.DraftData(
                    congress_term=16,
                    session=6,
                    title=spec["title"],
                    summary=spec["summary"],
                    category="城市管理",
                ),
                deputy2,
            ),
        )
        # The session's proposals before it are not in the demo; it keeps the number it was given.
        await Proposal.filter(id=proposal.id).update(number=spec["number"])
        pid = proposal.id

        async def step(when: datetime, action: Callable[[int], Awaitable[Proposal]]) -> Proposal:
            nonlocal proposal
            version = proposal.version
            proposal = await cast.at(when, action(version))
            return proposal

        await step(at(date(2020, 1, 8), 10), lambda v: proposals.submit_proposal(pid, v, "", deputy2))
        await step(at(date(2020, 1, 15), 10), lambda v: proposals.register_proposal(pid, v, "", congress))
        # The reply is due three months after assignment, the housing bureau's opinion in one.
        await step(
            at(date(2020, 1, 20), 10),
            lambda v: proposals.assign_proposal(
                pid,
                v,
                congress,
                lead_unit_id=self.departments["bureau"].id,
                co_handling_unit_ids=[self.departments["housing"].id],
            ),
        )
        await step(at(date(2020, 2, 3), 9), lambda v: handling.submit_plan(pid, v, spec["plan"], bureau))
        tasks: list[HandlingTask] = []
        for title, due_on, created in (
            ("梳理各镇街公园和广场饮水需求（示例任务）", date(2020, 2, 29), at(date(2020, 2, 3), 10)),
            ("增设公共饮水点并纳入日常巡查（示例任务）", date(2020, 4, 1), at(date(2020, 2, 3), 10, 10)),
        ):
            task = await cast.at(
                created,
                handling.create_task(
                    pid,
                    proposal.version,
                    bureau,
                    title=title,
                    responsible_unit_id=self.departments["bureau"].id,
                    due_on=due_on,
                ),
            )
            proposal = await Proposal.get(id=pid)
            tasks.append(task)
        await step(
            at(date(2020, 2, 18), 16),
            lambda v: handling.record_opinion(
                pid, v, self.departments["housing"].id, spec["opinion"], bureau
            ),
        )
        for task, done in zip(tasks, (at(date(2020, 2, 25), 17), at(date(2020, 3, 30), 17)), strict=True):
            await cast.at(
                done,
                handling.update_task(
                    task.id,
                    task.version,
                    handling.TaskChanges(progress=100),
                    bureau,
                ),
            )
            proposal = await Proposal.get(id=pid)
        await step(
            at(date(2020, 4, 10), 15),
            lambda v: handling.reply(
                pid, v, bureau, result=ReplyResult.SOLVED, body=spec["reply"], contact=spec["contact"]
            ),
        )
        await step(
            at(date(2020, 4, 20), 11), lambda v: handling.rate(pid, v, deputy2, rating=Rating.SATISFIED)
        )
        return await step(at(date(2020, 4, 28), 10), lambda v: proposals.close_proposal(pid, v, "", congress))

    # ---- stations ------------------------------------------------------------------------

    async def stations(self) -> None:
        drafts: list[tuple[str, StationData]] = []  # (town slug, station)
        for town in data.TOWNS:
            drafts += self._town_stations(town)
        # Registered by the bureau through the station service: its rules (rest area at least 60%
        # of a service station's floor, unique codes) hold for the demo's stations too.
        bureau = self.cast.caller("bureau")
        created: dict[str, Station] = {}
        for _town_slug, draft in drafts:
            station = await station_service.create_station(draft, caller=bureau)
            created[station.code] = station

        planned = 0
        for town_slug, draft in drafts:
            station = created[str(draft.code)]
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

    def _town_stations(self, town: data.Town) -> list[tuple[str, StationData]]:
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

        stations: list[tuple[str, StationData]] = []
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
        stations.extend(
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
            for number in range(1, town.planned_2022 + 1)
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
        functions: Iterable[StationFunction],
        amenities: Iterable[Amenity],
        floor_range: tuple[int, int],
        rest_share: tuple[float, float],
        opening_hours: str,
        opened_on: date | None,
        credited: bool,
        planned_year: int | None = None,
    ) -> StationData:
        floor_area = round(self.rng.uniform(*floor_range), 1)
        # Rounded down so that the share never drops below its lower bound after rounding.
        rest_area = int(floor_area * self.rng.uniform(*rest_share) * 10) / 10
        lat, lon = self.near(community, 0.004)
        return StationData(
            code=code,
            name=name,
            kind=kind,
            level=level,
            status=status,
            functions=list(functions),
            amenities=list(amenities),
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
        # Posted by the bureau through the staff service: a posting's station lies in its patch.
        bureau_caller = self.cast.caller("bureau")
        for name, posting in postings:
            await staff_service.create_posting(
                PostingData(
                    staff_id=self.staff[name].id,
                    role=posting.role,
                    started_on=posting.started_on,
                    station_id=posting.station_id,
                    jurisdiction_id=posting.jurisdiction_id,
                    department_id=posting.department_id,
                ),
                caller=bureau_caller,
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
                **(
                    unit_columns(*spec.working_times)
                    if spec.working_times
                    else natural_times(spec.response_minutes, spec.resolution_minutes)
                ),
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
        plans = [self._wang_ticket(), *self._generated_tickets()]
        self._transfer_to_market(plans)
        await self.cast.add_hotline()
        # Who acts on tickets: the area chiefs, and the desk staff who register walk-ins (team
        # members at service stations take them as the community's desk staff do).
        stations = {s.code: s for group in self.stations_by_community.values() for s in group}
        tree = self.cast.engine.tree
        people = {
            self.actor(chief): (chief, "area-chief", self.towns[slug].code)
            for slug, chief in self.area_chiefs.items()
        } | {
            self.actor(staff): (staff, "community-worker", tree.code(stations[code].jurisdiction_id) or "")
            for code, staff in self.registrars.items()
        }
        for plan, _number in plans:
            for name in (plan.registrar, plan.chief, plan.closer):
                if name in people:
                    await self._cast_staff(*people[name])
        created: list[Ticket] = []
        for plan, expected in plans:
            ticket = await tell_ticket(self.cast, plan)
            if ticket.number != expected:
                raise RuntimeError(f"demo ticket numbered {ticket.number}, expected {expected}")
            created.append(ticket)
        by_status: dict[str, int] = {}
        for ticket in created:
            by_status[ticket.status.value] = by_status.get(ticket.status.value, 0) + 1
        events = await TicketEvent.all().count()
        self.counts.update(tickets=len(created), ticket_events=events)
        summary = ", ".join(f"{count} {status}" for status, count in sorted(by_status.items()))
        self.progress(
            f"tickets: {len(created)} ({summary}), {events} events; "
            f"Mr Wang's {WANG_TICKET_NUMBER} closed 30 minutes after registration"
        )

    async def _cast_staff(self, staff: Staff, role: str, code: str) -> str:
        """The name `staff` acts under: its demo account, or a cast member with its posting's role."""
        name = self.actor(staff)
        if not self.cast.knows(name):
            if name in DEMO_ACCOUNTS:
                await self.cast.add_account(name, staff_id=staff.id, department_id=staff.department_id)
            else:
                await self.cast.add(
                    name, [(role, code)], staff_id=staff.id, department_id=staff.department_id
                )
        return name

    def _transfer_to_market(self, plans: list[tuple[TicketPlan, str]]) -> None:
        """The "N" of 1+N: two dispatched tickets outside Chang'an go to the market regulator,
        so its liaison has a queue of its own."""
        changan_ids = {c.id for c in self.communities[data.CHANGAN]}
        market = self.departments["market"]
        candidates = [
            plan
            for plan, _number in plans
            if plan.on_site_at is None and plan.intake.jurisdiction_id not in changan_ids
        ]
        for plan in candidates[:2]:
            when = (plan.dispatched_at or plan.registered_at) + timedelta(minutes=20)
            plan.transfer = (
                when,
                "bureau",
                market.id,
                "转市场监管局处理 (transferred to the market regulator)",
            )

    def _wang_ticket(self) -> tuple[TicketPlan, str]:
        """Mr Wang at the Xiagang station, 10 January 2022: registered 09:00, done by 09:30."""
        category = self.categories["occupying_road"]
        station = next(s for s in self.service_stations[data.CHANGAN] if s.code == XIAGANG_STATION_CODE)
        worker = self.registrars[XIAGANG_STATION_CODE]
        chief = self.area_chiefs[data.CHANGAN]
        day = date(2022, 1, 10)
        registered = at(day, 9, 0)
        plan = TicketPlan(
            intake=Intake(
                source=TicketSource.WALK_IN,
                category_id=category.id,
                description="商铺占道经营 (shops occupying the road for business)",
                reporter_name="王先生",
                reporter_phone="13800000001",
                station_id=station.id,
                address=station.address,
            ),
            registered_at=registered,
            registrar=self.actor(worker),
            registered_by=worker.id,
            chief=self.actor(chief),
            chief_staff_id=chief.id,
            closer=self.actor(worker),
            dispatched_at=at(day, 9, 5),
            on_site_at=at(day, 9, 15),
            resolved_at=registered + timedelta(minutes=30),
            method=ResolutionMethod.SERVICE,
            note="现场劝导，店主自行整改 (persuaded on site; the shop owner fixed it)",
            closed_at=at(day, 9, 40),
            satisfied=True,
        )
        return plan, WANG_TICKET_NUMBER

    def _generated_tickets(self) -> list[tuple[TicketPlan, str]]:
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
        plans: list[tuple[TicketPlan, str]] = []
        for index, ((town_slug, community), registered, status) in enumerate(
            zip(places, times, statuses, strict=True)
        ):
            day = registered.date()
            per_day[day] = per_day.get(day, 0) + 1
            number = f"DG-{day:%Y%m%d}-{per_day[day]:06d}"  # the intake's own numbering, checked
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
            plan = TicketPlan(
                intake=Intake(
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
                ),
                registered_at=registered,
                registrar=self.actor(registrar) if registrar else HOTLINE,
                registered_by=registrar.id if registrar else None,
                chief=self.actor(chief),
                chief_staff_id=chief.id,
                # the return visit: at the desk that took it, or by the hotline
                closer=self.actor(registrar) if registrar else HOTLINE,
            )
            self._advance(plan, status, category, methods)
            plans.append((plan, number))
        return plans

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
        plan: TicketPlan,
        status: TicketStatus,
        category: TicketCategory,
        methods: list[ResolutionMethod],
    ) -> None:
        """The time and outcome of every step the ticket is to go through."""
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
        registered = plan.registered_at
        dispatched = registered + timedelta(minutes=rng.randint(2, 15))
        on_site = dispatched + timedelta(minutes=rng.randint(5, 40))
        # Mostly within the category's time, some late, so the overdue figures are not empty.
        target = category.resolution_minutes
        took = timedelta(minutes=rng.randint(target // 5, target * 21 // 20))
        resolved = max(registered + took, on_site + timedelta(minutes=5))
        closed = resolved + timedelta(minutes=rng.randint(10, 120))
        satisfied = rng.random() > 0.1

        if reached >= 1:
            plan.dispatched_at = dispatched
        if reached >= 2:
            plan.on_site_at = on_site
        if reached >= 3:
            plan.method = methods.pop()
            plan.resolved_at = resolved
            plan.note = _RESOLUTION_NOTES[plan.method]
        if reached >= 4:
            plan.closed_at = closed
            plan.satisfied = satisfied


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
