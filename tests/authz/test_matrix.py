"""The access matrix: every demo account × object × action × place (inside / outside the
account's jurisdiction), asserted through the GraphQL API.

ACCESS below is the access table of docs/domain.md ("Roles: who sees and changes what")
written out by hand. It is deliberately NOT read from policies/policy.csv: it is an independent
statement of the spec, so that the policy file and the enforcement code are both checked against
it. Every case is generated from it; nothing below names a role when deciding what to expect.

Places are concrete demo objects, found through GraphQL as `bureau` (who sees everything; its
lists are checked against the database's row counts). The test database is shared with the rest
of the suite, which adds stations, tickets and postings, so every expectation is a relation
(bureau's rows filtered by the table), never a hard-coded total.

Requests are batched per account and cached per "generation" of the data: one request per list,
one for every single lookup and nested relation at once; a write that adds rows starts a new
generation.
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from server.clock import today as city_today
from tests.helpers import error_codes

CITY = "dongguan"

# ---------------------------------------------------------------------------------------------
# The spec: the access table of docs/domain.md, by hand.
#
#   J  where the account's role is granted: that jurisdiction and everywhere beneath it
#   D  only tickets transferred to the account's own department (wherever it is granted)
#   P  proposals' public data: every proposal past the draft stage, plus the account's own
#      proposals at any stage ("own proposals in full; other proposals' public data")
#   -  nowhere
#
# Readings of the table that it does not spell out, and why:
# - congress staff read stations (public data): a proposal's credited stations are what the
#   proposal delivered ("what came of my proposal?"), and station data is public to deputies.
# - an area chief reads the town's staff and postings: it dispatches tickets in the town, to the
#   team members posted there. Community workers read the postings of their community's
#   station(s), not the staff register.
# - postings lie in their patch (Posting.jurisdiction); staff in their home jurisdiction.
# - personal data (reporter name, phone) is granted only where the table says "personal data
#   included": bureau, area chief, community worker. Deputies are told "without"; liaisons and
#   everyone else are not given it ("a separate permission, not a side effect of reading").
# - writes: station:update and posting:create are the bureau's ("stations, staff postings").
# ---------------------------------------------------------------------------------------------

PERMISSIONS = (
    "station:read",
    "station:update",
    "posting:read",
    "posting:create",
    "staff:read",
    "proposal:read",
    "ticket:read",
    "ticket_personal:read",
)

# fmt: off
ACCESS: dict[str, tuple[str | None, tuple[str, str, str, str, str, str, str, str]]] = {
    #                  granted at                     station     posting     staff  proposal ticket personal
    #                                                 read  upd   read  new   read   read     read   read
    "anonymous":      (None,                        ("-", "-",  "-", "-",   "-",   "-",     "-",   "-")),
    "admin":          (CITY,                        ("-", "-",  "-", "-",   "-",   "-",     "-",   "-")),
    "bureau":         (CITY,                        ("J", "J",  "J", "J",   "J",   "P",     "J",   "J")),
    "congress":       (CITY,                        ("J", "-",  "-", "-",   "-",   "P",     "-",   "-")),
    "deputy":         (CITY,                        ("J", "-",  "-", "-",   "-",   "P",     "J",   "-")),
    "deputy2":        (CITY,                        ("J", "-",  "-", "-",   "-",   "P",     "J",   "-")),
    "chief-changan":  ("dongguan/changan",          ("J", "-",  "J", "-",   "J",   "-",     "J",   "J")),
    "chief-humen":    ("dongguan/humen",            ("J", "-",  "J", "-",   "J",   "-",     "J",   "J")),
    "worker-xiagang": ("dongguan/changan/xiagang",  ("J", "-",  "J", "-",   "-",   "-",     "J",   "J")),
    "worker-shatou":  ("dongguan/changan/shatou",   ("J", "-",  "J", "-",   "-",   "-",     "J",   "J")),
    "liaison":        (CITY,                        ("J", "-",  "-", "-",   "-",   "-",     "D",   "-")),
}
# fmt: on

# Who an account is, where the table needs it ("own proposals", "its department").
DEPUTY_OF = {"deputy": "示例代表", "deputy2": "示例代表二"}
DEPARTMENT_OF = {"liaison": "market"}

# ---------------------------------------------------------------------------------------------
# The places each object is tried at, and the jurisdiction each lies in.
# ---------------------------------------------------------------------------------------------

XIAGANG, SHATOU = "dongguan/changan/xiagang", "dongguan/changan/shatou"
REGION = {
    "xiagang": XIAGANG,
    "shatou": SHATOU,
    "changan": "dongguan/changan",
    "humen": "dongguan/humen",
    "houjie": "dongguan/houjie",  # a Houjie ticket that was not transferred
    "market": "dongguan/houjie",  # a Houjie ticket transferred to the market regulator
    "city": CITY,
    "everywhere": CITY,
    "16-7-0001": CITY,  # the deputy's 连心桥 proposal (SUBMITTED)
    "16-6-0015": CITY,  # deputy2's proposal of the previous session (CLOSED)
    "16-7-0002": CITY,  # deputy2's DRAFT
    "new-xiagang": XIAGANG,  # stations each write test creates for itself
    "new-shatou": SHATOU,
    "new-humen": "dongguan/humen",
}
TICKET_PLACES = ("xiagang", "shatou", "humen", "houjie", "market")
STATION_PLACES = ("xiagang", "shatou", "humen", "houjie")
PEOPLE_PLACES = ("changan", "xiagang", "shatou", "humen", "city")  # postings (patch), staff (home)
PROPOSAL_PLACES = ("16-7-0001", "16-6-0015", "16-7-0002")
NEW_PLACES = ("new-xiagang", "new-shatou", "new-humen")
STAFF_FOR_NEW = {"new-xiagang": "xiagang", "new-shatou": "shatou", "new-humen": "humen"}
EVERYWHERE = ("everywhere",)

# (object, action, permission it exercises, places). Reads first: writes start new generations.
ACTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("ticket", "read", "ticket:read", TICKET_PLACES),
    ("ticket", "list", "ticket:read", TICKET_PLACES + EVERYWHERE),
    ("ticket", "personal", "ticket_personal:read", TICKET_PLACES),
    ("ticket", "via_station", "ticket:read", STATION_PLACES),
    ("station", "read", "station:read", STATION_PLACES),
    ("station", "list", "station:read", STATION_PLACES + EVERYWHERE),
    ("station", "via_proposals", "station:read", PROPOSAL_PLACES),
    ("posting", "read", "posting:read", PEOPLE_PLACES),
    ("posting", "list", "posting:read", PEOPLE_PLACES + EVERYWHERE),
    ("staff", "read", "staff:read", PEOPLE_PLACES),
    ("staff", "list", "staff:read", PEOPLE_PLACES + EVERYWHERE),
    ("proposal", "read", "proposal:read", PROPOSAL_PLACES),
    ("proposal", "list", "proposal:read", PROPOSAL_PLACES + EVERYWHERE),
    ("station", "update", "station:update", NEW_PLACES),
    ("posting", "create", "posting:create", NEW_PLACES),
)

# Lists are reached from a root list; it is refused (FORBIDDEN) where a permission it needs is
# nowhere. Postings are listed through stations { nodes { postings } }: the root list needs
# station:read, and the nested list is refused at its path where posting:read is nowhere.
LIST_ROOT = {
    "ticket": ("ticket:read",),
    "station": ("station:read",),
    "posting": ("station:read", "posting:read"),
    "staff": ("staff:read",),
    "proposal": ("proposal:read",),
}

# Cases where the app contradicts the table: strict xfail, so that the fix turns them green.
KNOWN_BUGS: dict[tuple[str, str, str, str], str] = {}  # none known: add (account, obj, action, place)


def within(code: str, grant: str) -> bool:
    return code == grant or code.startswith(grant + "/")


def where(account: str, permission: str) -> str:
    return ACCESS[account][1][PERMISSIONS.index(permission)]


@dataclass(frozen=True)
class Attrs:
    """What the table's rules look at: where an object lies, and for some, more."""

    code: str
    department: str | None = None
    status: str | None = None
    author: str | None = None


def allows(account: str, permission: str, obj: Attrs) -> bool:
    granted_at, _ = ACCESS[account]
    rule = where(account, permission)
    if granted_at is None or rule == "-" or not within(obj.code, granted_at):
        return False
    if rule == "D":
        return obj.department is not None and obj.department == DEPARTMENT_OF.get(account)
    if rule == "P":
        return obj.status != "DRAFT" or obj.author == DEPUTY_OF.get(account)
    assert rule == "J", rule
    return True


@dataclass(frozen=True)
class Case:
    account: str
    obj: str
    action: str
    permission: str
    place: str

    @property
    def side(self) -> str:
        granted_at = ACCESS[self.account][0]
        return "in" if granted_at and within(REGION[self.place], granted_at) else "out"

    @property
    def id(self) -> str:
        return f"{self.account}-{self.obj}-{self.action}-{self.place}-{self.side}"


def _cases() -> list[Any]:
    params = []
    for obj, action, permission, places in ACTIONS:
        for account in ACCESS:
            for place in places:
                case = Case(account, obj, action, permission, place)
                bug = KNOWN_BUGS.get((account, obj, action, place))
                marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
                params.append(pytest.param(case, id=case.id, marks=marks))
    return params


CASES = _cases()

# ---------------------------------------------------------------------------------------------
# Fetching: per account and generation, one request per list and one for all single lookups.
# ---------------------------------------------------------------------------------------------

LISTS = {
    "ticket": (
        "tickets",
        "id reporterName reporterPhone jurisdiction { id code } department { code } station { id }",
    ),
    "station": ("stations", "id jurisdiction { code } postings { id jurisdiction { code } }"),
    "staff": ("staff", "id jurisdiction { code }"),
    "proposal": ("proposals", "id number status author { name } jurisdiction { code } stations { id }"),
}
NODE_FRAGMENT = {
    "ticket": "... on Ticket { reporterName reporterPhone }",
    "station": "... on Station { tickets(first: 500) { totalCount nodes { id } } }",
    "posting": "",
    "staff": "",
    "proposal": "",
}


@dataclass
class Listing:
    rows: list[dict[str, Any]] | None  # None: the list was refused
    total: int | None = None
    codes: list[str] = field(default_factory=list)  # why it was refused
    row_errors: dict[tuple[int, str], str] = field(default_factory=dict)  # (row, field) → code
    other_errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class View:
    lists: dict[str, Listing]
    nodes: dict[str, Any]
    node_errors: dict[tuple[Any, ...], str]

    def postings(self) -> Listing:
        """Postings listed through stations { nodes { postings } }."""
        stations = self.lists["station"]
        if stations.rows is None:
            return Listing(None, codes=stations.codes)
        refused = {code for (_, name), code in stations.row_errors.items() if name == "postings"}
        if refused:  # refused on every station or on none
            assert all(s["postings"] is None for s in stations.rows), stations.row_errors
            return Listing(None, codes=sorted(refused))
        rows = [{**p, "station": s["id"]} for s in stations.rows for p in s["postings"]]
        return Listing(rows, len(rows), other_errors=stations.other_errors)

    def listing(self, obj: str) -> Listing:
        return self.postings() if obj == "posting" else self.lists[obj]


def alias(obj: str, place: str) -> str:
    return re.sub(r"\W", "_", f"{obj}_{place}")


def as_user(account: str) -> str | None:
    return None if account == "anonymous" else account


async def fetch_listing(gql: Any, account: str, obj: str) -> Listing:
    name, selection = LISTS[obj]
    query = (
        f"query($after: String) {{ {name}(first: 500, after: $after) {{ totalCount "
        f"pageInfo {{ hasNextPage endCursor }} nodes {{ {selection} }} }} }}"
    )
    listing = Listing(rows=[])
    after = None
    while True:
        result = await gql(query, {"after": after}, as_user=as_user(account))
        page = (result.get("data") or {}).get(name)
        if page is None:
            return Listing(None, codes=error_codes(result))
        assert listing.rows is not None
        for error in result.get("errors") or []:
            path = error.get("path") or []
            if len(path) == 4 and path[:2] == [name, "nodes"]:
                listing.row_errors[(len(listing.rows) + path[2], path[3])] = error["extensions"]["code"]
            else:
                listing.other_errors.append(error)
        listing.rows += page["nodes"]
        listing.total = page["totalCount"] if listing.total is None else listing.total
        if not page["pageInfo"]["hasNextPage"]:
            return listing
        after = page["pageInfo"]["endCursor"]


@dataclass
class World:
    """The demo objects the matrix is tried on (global IDs), found as bureau."""

    ids: dict[tuple[str, str], str]  # (object, place) → global ID
    new_in: dict[str, str]  # place of an own station ("new-xiagang") → its community's global ID


class Matrix:
    def __init__(self) -> None:
        self.world: World | None = None
        self.generation = 0
        self._views: dict[tuple[int, str], View] = {}

    async def setup(self, gql: Any) -> World:
        if self.world is None:
            self.world = await discover(gql)
        return self.world

    def begin(self) -> None:
        """Each test starts from the demo data (conftest): views of what an earlier test wrote go."""
        self.generation = 0
        self._views = {key: view for key, view in self._views.items() if key[0] == 0}

    async def own_station(self, gql: Any, place: str) -> str:
        """A station of this test's own, for the writes, in the same community as a demo one."""
        world = await self.setup(gql)
        gid = await create_station(gql, world.new_in[place])
        self.changed()
        return gid

    def changed(self) -> None:
        """A write added rows: views fetched before are stale."""
        self.generation += 1

    async def view(self, gql: Any, account: str) -> View:
        world = await self.setup(gql)
        key = (self.generation, account)
        if key not in self._views:
            lists = {obj: await fetch_listing(gql, account, obj) for obj in LISTS}
            parts = [
                f'{alias(obj, place)}: node(id: "{gid}") {{ id {NODE_FRAGMENT[obj]} }}'
                for (obj, place), gid in world.ids.items()
                if obj in NODE_FRAGMENT
            ]
            result = await gql("{ " + "\n".join(parts) + " }", as_user=as_user(account))
            errors = {tuple(e["path"]): e["extensions"]["code"] for e in result.get("errors") or []}
            self._views[key] = View(lists, result.get("data") or {}, errors)
        return self._views[key]

    async def truth(self, gql: Any) -> View:
        """What bureau sees: everything, but drafts, which only their authors see."""
        key = (self.generation, "*truth*")
        if key not in self._views:
            bureau = await self.view(gql, "bureau")
            proposals = await all_proposals(gql)
            self._views[key] = View({**bureau.lists, "proposal": proposals}, bureau.nodes, bureau.node_errors)
        return self._views[key]


async def all_proposals(gql: Any) -> Listing:
    """Every proposal: bureau's list (all but drafts) and each deputy's own (drafts included)."""
    rows: dict[str, dict[str, Any]] = {}
    for account in ("bureau", *DEPUTY_OF):
        listing = await fetch_listing(gql, account, "proposal")
        assert listing.rows is not None, listing
        rows.update({r["id"]: r for r in listing.rows})
    return Listing(list(rows.values()), len(rows))


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return Matrix()


def _pk(gid: str) -> int:
    return int(base64.b64decode(gid).decode().rpartition(":")[2])


def _first(rows: list[dict[str, Any]], test: Any, what: str) -> dict[str, Any]:
    """The oldest row that passes `test`: a demo row rather than one another test added."""
    found = sorted((r for r in rows if test(r)), key=lambda r: _pk(r["id"]))
    assert found, f"the demo data has no {what}"
    return found[0]


def _dept(row: dict[str, Any]) -> str | None:
    return (row.get("department") or {}).get("code")


async def discover(gql: Any) -> World:
    ids: dict[tuple[str, str], str] = {}
    tickets = await fetch_listing(gql, "bureau", "ticket")
    assert tickets.rows is not None
    rows = tickets.rows

    def code(r: dict[str, Any]) -> str:
        return str(r["jurisdiction"]["code"])

    picks = {
        "xiagang": lambda r: within(code(r), XIAGANG),
        "shatou": lambda r: within(code(r), SHATOU),
        "humen": lambda r: within(code(r), "dongguan/humen"),
        "houjie": lambda r: within(code(r), "dongguan/houjie") and _dept(r) is None,
        "market": lambda r: within(code(r), "dongguan/houjie") and _dept(r) == "market",
    }
    chosen = {}
    for place, test in picks.items():
        # Where there is one, a ticket taken in at a station: it gives the station places too.
        at_station = [r for r in rows if test(r) and r["station"]]
        chosen[place] = _first(at_station or rows, test, f"{place} ticket")
        ids[("ticket", place)] = chosen[place]["id"]
    # Stations that have tickets: so that their nested ticket lists say something.
    for place, ticket_place in (("xiagang", "xiagang"), ("shatou", "shatou"), ("humen", "humen")):
        ids[("station", place)] = chosen[ticket_place]["station"]["id"]
    ids[("station", "houjie")] = chosen["market"]["station"]["id"]  # holds a transferred ticket

    # Where the writes' own stations go (each write test makes its own): the same communities.
    new_in = {place: chosen[STAFF_FOR_NEW[place]]["jurisdiction"]["id"] for place in NEW_PLACES}

    stations = await fetch_listing(gql, "bureau", "station")
    assert stations.rows is not None
    postings = [p for s in stations.rows for p in s["postings"]]
    staff = await fetch_listing(gql, "bureau", "staff")
    assert staff.rows is not None
    for place in PEOPLE_PLACES:
        region = REGION[place]
        ids[("posting", place)] = _first(
            postings, lambda r, c=region: r["jurisdiction"]["code"] == c, f"posting in {region}"
        )["id"]
        ids[("staff", place)] = _first(
            staff.rows, lambda r, c=region: r["jurisdiction"]["code"] == c, f"staff member of {region}"
        )["id"]
    proposals = await all_proposals(gql)
    assert proposals.rows is not None
    for number in PROPOSAL_PLACES:
        ids[("proposal", number)] = _first(proposals.rows, lambda r, n=number: r["number"] == n, number)["id"]
    return World(ids, new_in)


CREATE_STATION = """mutation($i: CreateStationInput!) { createStation(input: $i) {
  __typename ... on StationPayload { station { id } } ... on MutationError { code message } } }"""


async def create_station(gql: Any, jurisdiction_id: str) -> str:
    result = await gql(
        CREATE_STATION,
        {
            "i": {
                "code": f"authz-matrix-{uuid.uuid4().hex[:10]}",
                "name": "授权矩阵测试工作站 (authz matrix test)",
                "kind": "COMMUNITY_WORKSTATION",
                "level": "COMMUNITY",
                "floorArea": 40.0,
                "restArea": 20.0,
                "address": "授权矩阵测试地址 (test address)",
                "jurisdictionId": jurisdiction_id,
                "openingHours": "08:30-17:30",
            }
        },
    )
    payload = result["data"]["createStation"]
    assert payload["__typename"] == "StationPayload", payload
    return str(payload["station"]["id"])


# ---------------------------------------------------------------------------------------------
# Bureau's rows, as the table's rules see them.
# ---------------------------------------------------------------------------------------------


def attrs(obj: str, row: dict[str, Any]) -> Attrs:
    code = row["jurisdiction"]["code"]
    if obj == "ticket":
        return Attrs(code, department=_dept(row))
    if obj == "proposal":
        return Attrs(code, status=row["status"], author=row["author"]["name"])
    return Attrs(code)


def truth_rows(truth: View, obj: str) -> dict[str, dict[str, Any]]:
    listing = truth.listing(obj)
    assert listing.rows is not None and not listing.other_errors, listing
    return {row["id"]: row for row in listing.rows}


def refusal(account: str, default: str) -> str:
    return "UNAUTHENTICATED" if account == "anonymous" else default


# ---------------------------------------------------------------------------------------------
# One runner per kind of action.
# ---------------------------------------------------------------------------------------------


async def run_read(case: Case, gql: Any, m: Matrix) -> None:
    """node(id:) gives the object where the table allows it, else null with NOT_FOUND."""
    world = await m.setup(gql)
    view, truth = await m.view(gql, case.account), await m.truth(gql)
    gid = world.ids[(case.obj, case.place)]
    expected = allows(case.account, case.permission, attrs(case.obj, truth_rows(truth, case.obj)[gid]))
    key = alias(case.obj, case.place)
    if expected:
        assert view.nodes.get(key) is not None, f"{case.account} does not see {case.obj} {gid}"
        assert view.nodes[key]["id"] == gid
        assert (key,) not in view.node_errors, view.node_errors[(key,)]
    else:
        assert view.nodes.get(key) is None, f"{case.account} sees {case.obj} {gid}"
        assert view.node_errors.get((key,)) == refusal(case.account, "NOT_FOUND")


async def run_list(case: Case, gql: Any, m: Matrix) -> None:
    """No row the table does not allow; every row it allows; totalCount = the rows visible."""
    world = await m.setup(gql)
    view, truth = await m.view(gql, case.account), await m.truth(gql)
    listing = view.listing(case.obj)
    if any(where(case.account, permission) == "-" for permission in LIST_ROOT[case.obj]):
        assert listing.rows is None and listing.codes == [refusal(case.account, "FORBIDDEN")], listing
        return
    assert listing.rows is not None and listing.codes == [], listing.codes
    assert not listing.other_errors, listing.other_errors
    assert listing.total == len(listing.rows), "totalCount differs from the rows listed"
    ids = [r["id"] for r in listing.rows]
    assert len(ids) == len(set(ids)), "a row is listed twice"

    known = truth_rows(truth, case.obj)
    region = REGION[case.place]
    anchor = None if case.place == "everywhere" else world.ids[(case.obj, case.place)]

    def here(row: dict[str, Any]) -> bool:
        """The rows this case is about: those at its place (a proposal place: that proposal)."""
        if case.obj == "proposal" and anchor is not None:
            return bool(row["id"] == anchor)
        code = str(row["jurisdiction"]["code"])
        return code == region if case.place == "city" else within(code, region)

    def may(row: dict[str, Any]) -> bool:
        if case.obj == "posting":  # reached through its station, which must be visible too
            station = truth_rows(truth, "station")[row["station"]]
            if not allows(case.account, "station:read", attrs("station", station)):
                return False
        return allows(case.account, case.permission, attrs(case.obj, row))

    expected = {gid for gid, row in known.items() if here(row) and may(row)}
    seen = {r["id"] for r in listing.rows if here(known.get(r["id"], r))}
    assert not seen - expected, f"{case.account} lists rows it may not see in {region}: {seen - expected}"
    assert not expected - seen, f"{case.account} misses rows it may see in {region}: {expected - seen}"

    if anchor is not None:
        assert (anchor in seen) == may(known[anchor])
        return
    if case.account == "bureau":  # bureau sees everything: its rows are the database's rows
        assert len(known) == await database_count(case.obj)
    if case.obj == "ticket":  # personal data on every listed row: value, or null + FORBIDDEN there
        for index, row in enumerate(listing.rows):
            personal = allows(case.account, "ticket_personal:read", attrs("ticket", known[row["id"]]))
            for name in ("reporterName", "reporterPhone"):
                code = listing.row_errors.get((index, name))
                if personal:
                    assert code is None, (row, name, code)
                else:
                    assert row[name] is None and code == "FORBIDDEN", (row, name, code)
    elif case.obj == "station" and where(case.account, "posting:read") == "-":
        # Postings are read nowhere: each station's list of them is refused at its path.
        assert listing.row_errors == {(i, "postings"): "FORBIDDEN" for i in range(len(listing.rows))}
    else:
        assert not listing.row_errors, listing.row_errors


async def database_count(obj: str) -> int:
    from server.proposals.models import Proposal
    from server.staff.models import Posting, Staff
    from server.stations.models import Station
    from server.tickets.models import Ticket

    if obj == "posting":
        return await Posting.filter(station_id__isnull=False).count()
    model = {"ticket": Ticket, "station": Station, "staff": Staff, "proposal": Proposal}[obj]
    return await model.all().count()


async def run_personal(case: Case, gql: Any, m: Matrix) -> None:
    """reporterName / reporterPhone: the value where allowed, else null + FORBIDDEN at that path."""
    world = await m.setup(gql)
    view, truth = await m.view(gql, case.account), await m.truth(gql)
    gid = world.ids[("ticket", case.place)]
    ticket = attrs("ticket", truth_rows(truth, "ticket")[gid])
    key = alias("ticket", case.place)
    if not allows(case.account, "ticket:read", ticket):
        assert view.nodes.get(key) is None, f"{case.account} sees ticket {gid}"
        assert view.node_errors.get((key,)) == refusal(case.account, "NOT_FOUND")
        return
    node = view.nodes[key]
    for name in ("reporterName", "reporterPhone"):
        if allows(case.account, "ticket_personal:read", ticket):
            assert node[name], f"{case.account} gets no {name} of {gid}"
            assert (key, name) not in view.node_errors
        else:
            assert node[name] is None, f"{case.account} reads {name} of {gid}"
            assert view.node_errors.get((key, name)) == "FORBIDDEN"


async def run_via_station(case: Case, gql: Any, m: Matrix) -> None:
    """A station's tickets: only those the account may see, and totalCount says so."""
    world = await m.setup(gql)
    view, truth = await m.view(gql, case.account), await m.truth(gql)
    gid = world.ids[("station", case.place)]
    key = alias("station", case.place)
    if not allows(case.account, "station:read", attrs("station", truth_rows(truth, "station")[gid])):
        assert view.nodes.get(key) is None, f"{case.account} sees station {gid}"
        assert view.node_errors.get((key,)) == refusal(case.account, "NOT_FOUND")
        return
    if where(case.account, "ticket:read") == "-":  # reads no tickets anywhere: refused at the list
        assert view.nodes[key]["tickets"] is None
        assert view.node_errors.get((key, "tickets")) == "FORBIDDEN", view.node_errors
        return
    tickets = truth_rows(truth, "ticket")
    at_station = {t["id"] for t in truth.nodes[key]["tickets"]["nodes"]}
    assert at_station, "the station chosen has tickets"
    expected = {t for t in at_station if allows(case.account, "ticket:read", attrs("ticket", tickets[t]))}
    got = view.nodes[key]["tickets"]
    assert {t["id"] for t in got["nodes"]} == expected
    assert got["totalCount"] == len(got["nodes"])


async def run_via_proposals(case: Case, gql: Any, m: Matrix) -> None:
    """proposals { nodes { stations } }: a visible proposal's stations, as far as the account may
    see stations; an invisible proposal not at all."""
    world = await m.setup(gql)
    view, truth = await m.view(gql, case.account), await m.truth(gql)
    listing = view.lists["proposal"]
    if where(case.account, "proposal:read") == "-":
        assert listing.rows is None and listing.codes == [refusal(case.account, "FORBIDDEN")], listing
        return
    assert listing.rows is not None
    gid = world.ids[("proposal", case.place)]
    proposal = truth_rows(truth, "proposal")[gid]
    mine = next((r for r in listing.rows if r["id"] == gid), None)
    if not allows(case.account, "proposal:read", attrs("proposal", proposal)):
        assert mine is None, f"{case.account} lists proposal {proposal['number']}"
        return
    assert mine is not None, f"{case.account} does not list proposal {proposal['number']}"
    stations = truth_rows(truth, "station")
    expected = {
        s["id"]
        for s in proposal["stations"]
        if allows(case.account, "station:read", attrs("station", stations[s["id"]]))
    }
    assert {s["id"] for s in mine["stations"]} == expected


READ_STATION = """query($id: ID!) { node(id: $id) { ... on Station { version openingHours
  postings { id } } } }"""
UPDATE_STATION = """mutation($i: UpdateStationInput!) { updateStation(input: $i) {
  __typename ... on StationPayload { station { id version openingHours } }
  ... on MutationError { code message } } }"""
CREATE_POSTING = """mutation($i: CreatePostingInput!) { createPosting(input: $i) {
  __typename ... on PostingPayload { posting { id jurisdiction { code } station { id } } }
  ... on MutationError { code message } } }"""


def _refused(case: Case, payload: dict[str, Any], visible: bool) -> None:
    if visible:
        assert (payload["__typename"], payload["code"]) == ("ForbiddenError", "FORBIDDEN"), payload
    else:
        assert (payload["__typename"], payload["code"]) == ("NotFoundError", "NOT_FOUND"), payload


async def run_update(case: Case, gql: Any, m: Matrix) -> None:
    """updateStation (station:update), with a harmless change: openingHours to its own value."""
    gid = await m.own_station(gql, case.place)
    station = Attrs(REGION[case.place])
    before = (await gql(READ_STATION, {"id": gid}))["data"]["node"]
    result = await gql(
        UPDATE_STATION,
        {"i": {"id": gid, "version": before["version"], "openingHours": before["openingHours"]}},
        as_user=as_user(case.account),
    )
    if case.account == "anonymous":  # no token: a top-level UNAUTHENTICATED error, as for queries
        assert result["data"] is None and error_codes(result) == ["UNAUTHENTICATED"], result
        after = (await gql(READ_STATION, {"id": gid}))["data"]["node"]
        assert after["version"] == before["version"]
        return
    payload = result["data"]["updateStation"]
    after = (await gql(READ_STATION, {"id": gid}))["data"]["node"]
    if allows(case.account, "station:update", station):
        assert payload["__typename"] == "StationPayload", payload
        assert payload["station"]["version"] == after["version"] == before["version"] + 1
        assert after["openingHours"] == before["openingHours"]
        return
    _refused(case, payload, allows(case.account, "station:read", station))
    assert after["version"] == before["version"], "a refused update changed the station"


async def run_create(case: Case, gql: Any, m: Matrix) -> None:
    """createPosting (posting:create) of a staff member of the same place to our own station."""
    world = await m.setup(gql)
    truth = await m.truth(gql)
    gid = await m.own_station(gql, case.place)
    staff_id = world.ids[("staff", STAFF_FOR_NEW[case.place])]
    station = Attrs(REGION[case.place])
    staff = attrs("staff", truth_rows(truth, "staff")[staff_id])
    before = (await gql(READ_STATION, {"id": gid}))["data"]["node"]["postings"]
    result = await gql(
        CREATE_POSTING,
        {
            "i": {
                "staffId": staff_id,
                "stationId": gid,
                "role": "TEAM_MEMBER",
                "startedOn": city_today().isoformat(),
                "note": "authz matrix",
            }
        },
        as_user=as_user(case.account),
    )
    if case.account == "anonymous":  # no token: a top-level UNAUTHENTICATED error, as for queries
        assert result["data"] is None and error_codes(result) == ["UNAUTHENTICATED"], result
        after = (await gql(READ_STATION, {"id": gid}))["data"]["node"]["postings"]
        assert len(after) == len(before)
        return
    payload = result["data"]["createPosting"]
    after = (await gql(READ_STATION, {"id": gid}))["data"]["node"]["postings"]
    if allows(case.account, "posting:create", station):
        m.changed()
        assert payload["__typename"] == "PostingPayload", payload
        assert payload["posting"]["station"]["id"] == gid
        assert within(payload["posting"]["jurisdiction"]["code"], REGION[case.place])
        assert len(after) == len(before) + 1
        return
    visible = allows(case.account, "station:read", station) and allows(case.account, "staff:read", staff)
    _refused(case, payload, visible)
    assert after == before, "a refused createPosting wrote a posting"


RUNNERS = {
    "read": run_read,
    "list": run_list,
    "personal": run_personal,
    "via_station": run_via_station,
    "via_proposals": run_via_proposals,
    "update": run_update,
    "create": run_create,
}


@pytest.mark.parametrize("case", CASES)
async def test_access_matrix(case: Case, gql: Any, matrix: Matrix) -> None:
    matrix.begin()
    await RUNNERS[case.action](case, gql, matrix)


def test_the_table_covers_every_demo_account_and_permission() -> None:
    from server.auth.demo_accounts import DEMO_ACCOUNTS

    assert set(ACCESS) == {"anonymous", *DEMO_ACCOUNTS}
    assert all(len(row) == len(PERMISSIONS) for _, row in ACCESS.values())
    assert {rule for _, row in ACCESS.values() for rule in row} <= {"J", "D", "P", "-"}
    assert len(CASES) == len(ACCESS) * sum(len(places) for *_, places in ACTIONS)
