"""The pages in a real browser: Debian's headless Chromium driven through its chromedriver
(Selenium, with Selenium Manager kept offline: nothing downloads a browser), against a real
`lianxin serve` on the suite's database. axe-core (vendored in tests/web/vendor) checks every
page for serious and critical accessibility violations. With LIANXIN_SCREENSHOTS=1 each page is
also saved to docs/screenshots/ for the README."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import login, post, serve, stop, wait_ready

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "lianxin-demo"
WAIT = 15  # seconds: the longest any page or live update may take before a test fails

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip(
        "needs Debian's chromium and chromium-driver (.ci/run installs them)", allow_module_level=True
    )

os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a driver or a browser

from selenium import webdriver  # noqa: E402 - after the skip: the package is a test extra
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    proc, address = serve(database_url)
    try:
        wait_ready(address, proc)
        yield f"http://{address}"
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    profile = tempfile.mkdtemp(prefix="lianxin-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1366,900",
        "--lang=zh-CN",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Pages:
    """One browser, signed in as one person at a time."""

    def __init__(self, driver: Any, base: str) -> None:
        self.driver = driver
        self.base = base

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def sign_in(self, username: str) -> None:
        self.driver.delete_all_cookies()
        self.open("/app/login")
        self.driver.find_element(By.ID, "username").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        self.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(self.driver, WAIT).until(expected_conditions.url_to_be(self.base + "/app"))

    def text(self, css: str) -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def check(self, name: str) -> None:
        """axe-core finds no serious or critical violation; the page is saved when asked to."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        found = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])))"
            ".catch(e => done([['axe-error', String(e), 0]]));"
        )
        serious = [v for v in found if v[1] in {"serious", "critical"} or v[0] == "axe-error"]
        assert serious == [], f"{name}: {serious}"
        if os.environ.get("LIANXIN_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def act(
        self, action: str, fill: dict[str, str] | None = None, choose: dict[str, str] | None = None
    ) -> None:
        """Take one of the ticket's actions from its page and wait for the page to come back."""
        form = self.driver.find_element(By.ID, f"form-{action}")
        for field, value in (fill or {}).items():
            form.find_element(By.NAME, field).send_keys(value)
        for field, value in (choose or {}).items():
            Select(form.find_element(By.NAME, field)).select_by_value(value)
        button = form.find_element(By.ID, f"do-{action}")
        button.click()
        WebDriverWait(self.driver, WAIT).until(expected_conditions.staleness_of(button))


@pytest.fixture
def pages(browser: Any, server: str) -> Pages:
    browser.delete_all_cookies()
    return Pages(browser, server)


def _status(pages: Pages) -> str:
    return str(pages.driver.find_element(By.ID, "ticket-status").get_attribute("data-status"))


def test_mr_wangs_ticket_from_the_desk_to_closing(pages: Pages, server: str) -> None:
    address = server.removeprefix("http://")
    pages.open("/app/login")
    labels = [e.text for e in pages.driver.find_elements(By.CSS_SELECTOR, "form label")]
    assert labels == ["用户名", "密码"]
    assert pages.text("form button[type=submit]") == "登录"
    pages.check("login")

    pages.sign_in("worker-xiagang")
    pages.check("home")
    pages.open("/app/desk")
    WebDriverWait(pages.driver, WAIT).until(
        lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "open"
    )
    Select(pages.driver.find_element(By.ID, "category")).select_by_visible_text("占道经营")
    pages.driver.find_element(By.ID, "description").send_keys("厦岗社区商铺占道经营，影响行人通行")
    pages.driver.find_element(By.ID, "reporter_name").send_keys("王先生")
    pages.driver.find_element(By.ID, "reporter_phone").send_keys("13800138000")
    pages.driver.find_element(By.ID, "address").send_keys("厦岗社区振安路")
    pages.check("desk")
    pages.driver.find_element(By.CSS_SELECTOR, "#register button[type=submit]").click()
    WebDriverWait(pages.driver, WAIT).until(expected_conditions.url_contains("registered=1"))
    number = pages.driver.current_url.split("/app/tickets/")[1].split("?")[0]
    assert _status(pages) == "REGISTERED"
    assert "王先生" in pages.text(".facts")
    pages.check("ticket")

    # The chief dispatches (a community worker registers; the town's chief dispatches and handles).
    pages.sign_in("chief-changan")
    pages.open(f"/app/tickets/{number}")
    pages.act("dispatch", fill={"comment": "请片区队员到场"})
    assert _status(pages) == "DISPATCHED"
    # Someone else moves the ticket on while this page is open: the stale form gets a clear conflict.
    token = login(address, "chief-changan")
    current = post(
        address,
        "query($n: String!) { ticket(number: $n) { id version jurisdiction { parent { id } } } }",
        token,
        {"n": number},
    )["data"]["ticket"]
    staff = post(
        address,
        "query($j: ID) { staff(filter: {jurisdictionId: $j}, first: 1) { nodes { id } } }",
        token,
        {"j": current["jurisdiction"]["parent"]["id"]},
    )["data"]["staff"]["nodes"][0]["id"]
    reassigned = post(
        address,
        "mutation($t: TicketVersion!, $a: ID!) { dispatchTicket(ticket: $t, assigneeId: $a) { __typename } }",
        token,
        {"t": {"id": current["id"], "version": current["version"]}, "a": staff},
    )
    assert reassigned["data"]["dispatchTicket"]["__typename"] == "TicketPayload"
    pages.act("arrive")
    assert "已被他人修改" in pages.text("#action-error")
    pages.check("ticket-conflict")
    pages.open(f"/app/tickets/{number}")
    pages.act("arrive")
    assert _status(pages) == "ON_SITE"
    pages.act("resolve", fill={"note": "经劝导，店主已将货物搬回店内"}, choose={"method": "SERVICE"})
    assert _status(pages) == "RESOLVED"

    # The desk makes the return visit: satisfied closes it.
    pages.sign_in("worker-xiagang")
    pages.open(f"/app/tickets/{number}")
    pages.act("return_visit", choose={"channel": "PHONE", "reached": "yes", "rating": "SATISFIED"})
    assert _status(pages) == "CLOSED"
    steps = [e.text for e in pages.driver.find_elements(By.CSS_SELECTOR, ".timeline li")]
    assert len(steps) >= 5 and "王先生" not in " ".join(steps)
    pages.check("ticket-closed")


def test_the_desk_queue_updates_live(pages: Pages, server: str) -> None:
    address = server.removeprefix("http://")
    pages.sign_in("worker-xiagang")
    pages.open("/app/desk")
    WebDriverWait(pages.driver, WAIT).until(
        lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "open"
    )
    token = login(address, "worker-xiagang")
    form = post(address, "{ ticketCategories { id } stations(first: 1) { nodes { id } } }", token)["data"]
    registered = post(
        address,
        "mutation($i: RegisterTicketInput!) { registerTicket(input: $i) {"
        " ... on RegisterTicketPayload { ticket { number } } } }",
        token,
        {
            "i": {
                "source": "WALK_IN",
                "categoryId": form["ticketCategories"][0]["id"],
                "description": "另一位市民反映的问题",
                "stationId": form["stations"]["nodes"][0]["id"],
            }
        },
    )
    number = registered["data"]["registerTicket"]["ticket"]["number"]
    WebDriverWait(pages.driver, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f'#queue tr[data-number="{number}"]')
    )


def test_the_chiefs_chart_shows_the_scorecards_figures(pages: Pages, server: str) -> None:
    address = server.removeprefix("http://")
    pages.sign_in("chief-changan")
    pages.open("/app/scorecard?from=2022-01-01&to=2022-12-31")
    shown = {
        bar.get_attribute("data-key"): (
            float(bar.get_attribute("data-value")),
            int(bar.get_attribute("data-count")),
        )
        for bar in pages.driver.find_elements(By.CSS_SELECTOR, "svg.chart g.bar")
    }
    pages.check("scorecard")
    card = post(
        address,
        '{ scorecard(periodFrom: "2022-01-01", periodTo: "2022-12-31") { ticketsReceived methodSplit {'
        " service management enforcement serviceShare managementShare enforcementShare } } }",
        login(address, "chief-changan"),
    )["data"]["scorecard"]
    split = card["methodSplit"]
    assert split["service"] > 0
    assert shown == {
        "service": (split["serviceShare"], split["service"]),
        "management": (split["managementShare"] or 0.0, split["management"]),
        "enforcement": (split["enforcementShare"] or 0.0, split["enforcement"]),
    }
    assert pages.text("#received") == str(card["ticketsReceived"])


def test_every_other_page_passes_axe(pages: Pages) -> None:
    pages.sign_in("chief-changan")
    for path, name in (
        ("/app/board", "board"),
        ("/app/board?view=overdue", "board-overdue"),
        ("/app/map", "map"),
    ):
        pages.open(path)
        pages.check(name)
    # A tablet held upright: the same page in one column, nothing cut off sideways.
    pages.driver.set_window_size(820, 1180)
    try:
        pages.open("/app/scorecard?from=2022-01-01&to=2022-12-31")
        assert pages.driver.execute_script("return document.documentElement.scrollWidth") <= 820
        pages.check("scorecard-tablet")
    finally:
        pages.driver.set_window_size(1366, 900)
    pages.sign_in("deputy")
    pages.open("/app/proposals")
    pages.check("proposals")
    pages.driver.find_element(By.CSS_SELECTOR, "#mine a").click()
    pages.check("proposal")
    pages.sign_in("bureau")
    for path, name in (("/app/supervision", "supervision"), ("/app/stations?year=2022", "stations")):
        pages.open(path)
        pages.check(name)
    pages.sign_in("admin")
    for path, name in (("/app/admin", "admin"), ("/app/password", "password")):
        pages.open(path)
        pages.check(name)


def test_shatou_cannot_open_the_xiagang_ticket(pages: Pages, server: str) -> None:
    address = server.removeprefix("http://")
    number = post(address, "{ tickets(first: 1) { nodes { number } } }", login(address, "worker-xiagang"))[
        "data"
    ]["tickets"]["nodes"][0]["number"]
    pages.sign_in("worker-shatou")
    pages.open(f"/app/tickets/{number}")
    assert pages.text("h1") == "未找到 Not found"
    assert "无权查看" in pages.text("[role=alert]")
    pages.check("forbidden")


def test_deputy_cannot_see_deputy2s_draft(pages: Pages, server: str) -> None:
    address = server.removeprefix("http://")
    drafts = post(
        address,
        "{ proposals(filter: {status: DRAFT}) { nodes { id title } } }",
        login(address, "deputy2"),
    )["data"]["proposals"]["nodes"]
    assert drafts
    pages.sign_in("deputy")
    pages.open("/app/proposals")
    listed = pages.text("main")
    assert all(draft["title"] not in listed for draft in drafts)
    pages.open(f"/app/proposals/{drafts[0]['id']}")
    assert pages.text("h1") == "未找到 Not found"


def test_a_forged_form_post_without_the_csrf_token_is_refused(pages: Pages, server: str) -> None:
    address = server.removeprefix("http://")
    token = login(address, "chief-changan")
    ticket = post(
        address, "{ tickets(filter: {status: REGISTERED}, first: 1) { nodes { id number version } } }", token
    )["data"]["tickets"]["nodes"][0]
    pages.sign_in("chief-changan")
    # A page the browser is on submits a form without the token, as another site's page would.
    pages.driver.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
        "for (const [k, v] of Object.entries(arguments[1])) {"
        " const i = document.createElement('input');"
        " i.type = 'hidden'; i.name = k; i.value = v; f.append(i); }"
        "document.body.append(f); f.submit();",
        f"/app/tickets/{ticket['number']}/reject",
        {"ticket_id": ticket["id"], "version": str(ticket["version"]), "comment": "forged"},
    )
    WebDriverWait(pages.driver, WAIT).until(expected_conditions.url_contains("/reject"))
    assert "CSRF" in pages.text("[role=alert]")
    after = post(
        address,
        "query($n: String!) { ticket(number: $n) { status version } }",
        token,
        {"n": ticket["number"]},
    )
    assert after["data"]["ticket"] == {"status": "REGISTERED", "version": ticket["version"]}
