"""`lianxin migrate` seeds the package's schedules; `lianxin calendar import FILE` adds a year,
refusing a bad file whole; `lianxin calendar show` lists the years."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import create_empty_database, drop_database
from tests.test_migrations import _lianxin

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "work-calendar-2026.json"


async def test_migrate_seeds_and_the_cli_imports_a_year(tmp_path: Path) -> None:
    url = await create_empty_database("calendar_cli")
    try:
        migrate = _lianxin("migrate", database_url=url)
        assert migrate.returncode == 0, migrate.stderr
        assert "work calendar: schedules 2004–2026 from chinese-calendar" in migrate.stdout
        again = _lianxin("migrate", database_url=url)
        assert "work calendar" not in again.stdout  # a year already there is never replaced

        bad = tmp_path / "bad.json"
        bad.write_text(
            json.dumps(
                {
                    "year": 2027,
                    "source": "test",
                    "days": [{"date": "2026-12-31", "kind": "HOLIDAY", "name": "元旦", "nameEn": "x"}],
                }
            ),
            encoding="utf-8",
        )
        refused = _lianxin("calendar", "import", str(bad), database_url=url)
        assert refused.returncode == 1
        assert "error: days.0.date: 2026-12-31 is not in 2027" in refused.stderr
        shown = _lianxin("calendar", "show", database_url=url)
        assert shown.returncode == 0 and "2027" not in shown.stdout and "2026   39 days" in shown.stdout

        good = tmp_path / "2027.json"
        sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
        assert sample["year"] == 2026 and len(sample["days"]) == 39
        good.write_text(
            json.dumps(
                {
                    "year": 2027,
                    "source": "测试用安排",
                    "days": [
                        {"date": "2027-01-01", "kind": "HOLIDAY", "name": "元旦", "nameEn": "New Year's Day"}
                    ],
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        done = _lianxin("calendar", "import", str(good), database_url=url)
        assert done.returncode == 0, done.stderr
        assert "work calendar 2027: 1 holidays and make-up workdays from 测试用安排" in done.stdout
        # the sample file replaces 2026 with the same days
        same = _lianxin("calendar", "import", str(SAMPLE), database_url=url)
        assert same.returncode == 0, same.stderr
        shown = _lianxin("calendar", "show", database_url=url)
        assert "2027    1 days" in shown.stdout and "cli" in shown.stdout
    finally:
        await drop_database(url)
