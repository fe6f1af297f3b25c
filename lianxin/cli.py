"""`lianxin` command line: migrate, demo, serve, worker, jobs, backup, restore, export-schema,
check-migrations."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from server.settings import ROOT, settings


def _cmd_migrate(args: argparse.Namespace) -> int:
    from server.database import apply_migrations

    print(f"Migrating {settings.database_url}", flush=True)
    asyncio.run(apply_migrations())
    return 0


def _cmd_check_migrations(args: argparse.Namespace) -> int:
    from server.database import pending_model_changes

    pending = asyncio.run(pending_model_changes())
    if pending:
        print("Models changed without a migration: run `make migrations`", file=sys.stderr)
        return 1
    print("Migrations match the models.")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from server.database import open_database
    from server.demo import load_demo

    async def run() -> None:
        async with open_database():
            await load_demo(only_if_empty=args.if_empty)

    asyncio.run(run())
    return 0


def _with_db(coro_factory):
    """Run an async admin command with the database open and the policy loaded."""
    from server.authz.engine import engine
    from server.database import open_database

    async def run() -> int:
        async with open_database():
            await engine.reload()
            return int(await coro_factory() or 0)

    return asyncio.run(run())


def _jurisdiction_id(code: str) -> int:
    from server.authz.engine import engine

    jid = engine.tree.id_by_code.get(code)
    if jid is None:
        raise SystemExit(f"unknown jurisdiction code {code!r} (e.g. dongguan, dongguan/changan)")
    return jid


def _fail(exc: Exception) -> int:
    from server.errors import ValidationFailed

    if isinstance(exc, ValidationFailed):
        for problem in exc.problems:
            print(f"error: {problem.field}: {problem.message}", file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)
    return 1


def _cmd_user_create(args: argparse.Namespace) -> int:
    import getpass

    from server.auth.models import User
    from server.auth.service import hash_password

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    if len(password) < 12:
        print("error: the password must be at least 12 characters", file=sys.stderr)
        return 1

    async def run() -> int:
        if await User.exists(username=args.username):
            print(f"error: user {args.username!r} exists", file=sys.stderr)
            return 1
        await User.create(
            username=args.username,
            display_name=args.display_name or args.username,
            password_hash=await hash_password(password),
        )
        print(f"created user {args.username}")
        return 0

    return _with_db(run)


def _cmd_user_grant(args: argparse.Namespace) -> int:
    from server.authz import policy_admin
    from server.caller import Caller
    from server.errors import DomainError

    async def run() -> int:
        try:
            line = await policy_admin.grant_role(
                args.username, args.role, _jurisdiction_id(args.jurisdiction), caller=Caller.system("cli")
            )
        except DomainError as exc:
            return _fail(exc)
        print("granted: " + ", ".join(line))
        return 0

    return _with_db(run)


def _cmd_apikey_create(args: argparse.Namespace) -> int:
    from server.auth.service import create_api_key
    from server.authz.vocabulary import API_KEY_SCOPES
    from server.staff.models import Department

    unknown = sorted(set(args.scope) - set(API_KEY_SCOPES))
    if unknown:
        print(f"error: unknown scopes {unknown}; known: {', '.join(API_KEY_SCOPES)}", file=sys.stderr)
        return 1

    async def run() -> int:
        department_id = None
        if args.department:
            department = await Department.get_or_none(code=args.department)
            if department is None:
                print(f"error: unknown department code {args.department!r}", file=sys.stderr)
                return 1
            department_id = department.id
        created = await create_api_key(
            name=args.name,
            scopes=args.scope,
            jurisdiction_id=_jurisdiction_id(args.jurisdiction),
            department_id=department_id,
            days=args.days,
            created_by="cli",
        )
        print(f"prefix: {created.key.prefix}")
        print(f"expires: {created.key.expires_at.isoformat()}")
        print(f"key (shown once): {created.secret}")
        return 0

    return _with_db(run)


def _cmd_apikey_revoke(args: argparse.Namespace) -> int:
    from server.auth.service import revoke_api_key

    async def run() -> int:
        key = await revoke_api_key(args.prefix)
        if key is None:
            print(f"error: no API key with prefix {args.prefix!r}", file=sys.stderr)
            return 1
        print(f"revoked {key.prefix} ({key.name})")
        return 0

    return _with_db(run)


def _cmd_apikey_list(args: argparse.Namespace) -> int:
    from server.auth.models import ApiKey

    async def run() -> int:
        for key in await ApiKey.all().order_by("id"):
            state = "revoked" if key.revoked_at else f"expires {key.expires_at:%Y-%m-%d}"
            print(f"{key.prefix}  {key.name}  scopes={','.join(key.scopes)}  {state}")
        return 0

    return _with_db(run)


def _cmd_policy_show(args: argparse.Namespace) -> int:
    from server.authz.engine import engine

    async def run() -> int:
        for line in engine.policy_lines():
            print("p, " + ", ".join(line))
        for line in engine.grant_lines():
            print("g, " + ", ".join(line))
        return 0

    return _with_db(run)


def _cmd_policy_load(args: argparse.Namespace) -> int:
    from server.authz.engine import read_policy_file
    from server.authz.policy_admin import check_line, replace_policy_lines
    from server.caller import Caller
    from server.errors import DomainError

    lines = read_policy_file()
    try:
        for line in lines:
            check_line(*line[1:4])
    except DomainError as exc:
        return _fail(exc)

    async def run() -> int:
        try:
            await replace_policy_lines(lines, caller=Caller.system("cli"))
        except DomainError as exc:
            return _fail(exc)
        print(f"policy lines replaced by the {len(lines)} lines of policies/policy.csv (grants kept)")
        return 0

    return _with_db(run)


def _cmd_calendar_import(args: argparse.Namespace) -> int:
    import json

    from server.calendar import service as calendar
    from server.caller import Caller
    from server.errors import DomainError

    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
        schedule = calendar.parse_schedule(data)
    except (OSError, ValueError) as exc:
        return _fail(exc)
    except DomainError as exc:
        return _fail(exc)

    async def run() -> int:
        try:
            row = await calendar.operator_import(schedule, caller=Caller.system("cli"))
        except DomainError as exc:
            return _fail(exc)
        print(f"work calendar {row.year}: {row.day_count} holidays and make-up workdays from {row.source}")
        return 0

    return _with_db(run)


def _cmd_calendar_show(args: argparse.Namespace) -> int:
    from server.calendar.models import WorkCalendarYear
    from server.calendar.service import unpublished_warning, unpublished_years_ahead

    async def run() -> int:
        for row in await WorkCalendarYear.all().order_by("year"):
            print(
                f"{row.year}  {row.day_count:3d} days  {row.imported_at:%Y-%m-%d} "
                f"{row.imported_by}  {row.source}"
            )
        missing = await unpublished_years_ahead()
        if missing:
            print(unpublished_warning(missing), file=sys.stderr)
        return 0

    return _with_db(run)


def _cmd_rollup(args: argparse.Namespace) -> int:
    from server.stats import rollup

    async def run() -> int:
        if args.action == "rebuild":
            print("recomputing ticket figures from the ticket table…", flush=True)
            rows = await rollup.rebuild()
            print(f"rollup rebuilt: {rows} rows")
            return 0
        stored, fresh = await rollup.stored(), await rollup.recompute()
        if stored == fresh:
            print(f"rollup matches a recomputation ({len(stored)} rows)")
            return 0
        differing = sorted(
            set(stored) ^ set(fresh) | {k for k in stored if k in fresh and stored[k] != fresh[k]}
        )
        print(
            f"rollup differs from a recomputation in {len(differing)} rows, e.g. {differing[:5]}",
            file=sys.stderr,
        )
        return 1

    return _with_db(run)


def _cmd_retention(args: argparse.Namespace) -> int:
    import logging

    from server.database import open_database
    from server.privacy import retention
    from server.stats.rollup import ensure_tree

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("lianxin").setLevel(logging.INFO)  # the run's summary line, for cron's log
    if args.batch_size < 1:
        print("error: --batch-size must be at least 1", file=sys.stderr)
        return 1

    async def run() -> int:
        async with open_database():
            await ensure_tree()
            result = await retention.run(
                batch_size=args.batch_size,
                dry_run=args.dry_run,
                progress=lambda message: print(message, flush=True),
            )
        if result.dry_run:
            print(f"dry run: {result.due} tickets would be anonymised; nothing was changed")
        return 0

    return asyncio.run(run())


def _cmd_attachments_cleanup(args: argparse.Namespace) -> int:
    from server.attachments.service import cleanup_orphans

    async def run() -> int:
        result = await cleanup_orphans(args.grace_seconds)
        print(
            f"{result.files} files in the store: {result.removed} orphans removed, "
            f"{result.kept_young} younger than the grace period kept, "
            f"{result.leftovers} interrupted writes removed"
        )
        return 0

    return _with_db(run)


def _progress_bar(done: int, total: int) -> None:
    width = 40
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def _cmd_import_stations(args: argparse.Namespace) -> int:
    from server.documents.imports import account_caller, import_stations
    from server.errors import DomainError

    path = Path(args.file)
    data = path.read_bytes()

    async def run() -> int:
        try:
            caller = await account_caller(args.as_user)
            result = await import_stations(
                data, path.name, caller, dry_run=args.dry_run, progress=_progress_bar
            )
        except DomainError as exc:
            return _fail(exc)
        for problem in result.problems:
            print(f"{problem.message_zh}\t{problem.message_en}", file=sys.stderr)
        verb = "would be" if result.dry_run else "were"
        print(
            f"{result.rows} rows: {result.created} {verb} created, {result.updated} updated, "
            f"{result.unchanged} unchanged; {len(result.problems)} problems"
            + ("" if result.committed or result.dry_run else " (nothing was written)")
        )
        return 1 if result.problems else 0

    return _with_db(run)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _cmd_backup(args: argparse.Namespace) -> int:
    from server.backup import BackupError, backup

    try:
        backup(settings.database_url, Path(args.file), _progress)
    except BackupError as exc:
        return _fail(exc)
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from server.backup import BackupError, restore

    try:
        restore(settings.database_url, Path(args.file), _progress, force=args.force)
    except BackupError as exc:
        return _fail(exc)
    print("Restored. Run `lianxin migrate` (a newer release's migrations), then `lianxin rollup check`.")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import logging.config

    import uvicorn

    from server.logs import logging_config

    # One JSON object per line, in this process and (uvicorn applies log_config) in every worker.
    sqlite = settings.database_url.startswith("sqlite")
    log_config = logging_config("INFO", log_sql=settings.log_sql, count_sql_from_log=sqlite)
    logging.config.dictConfig(log_config)

    # /metrics adds up every worker's values from files in one directory: made empty here (a
    # previous run's files would add its counts), before any worker starts; each worker creates
    # its metrics (server.metrics) after this and finds the variable. Not server.metrics here:
    # importing it creates this process's files.
    port = args.port or settings.port
    metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.var_dir / "metrics" / str(port))
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for leftover in metrics_dir.glob("*.db"):
        leftover.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

    uvicorn.run(
        "lianxin.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=port,
        workers=args.workers,
        log_config=log_config,
        log_level="info",
        access_log=False,
        # Client addresses (the per-address login limit) come from the socket unless a proxy in
        # LIANXIN_FORWARDED_ALLOW_IPS sent them: uvicorn's default would believe any local process.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    """Run scheduled jobs until SIGTERM or SIGINT (a job under way finishes first), or, with
    --once, every due job once. Any number of workers may run, on any machine."""
    import logging.config
    import signal

    from server.database import open_database
    from server.logs import logging_config

    logging.config.dictConfig(logging_config("INFO", log_sql=settings.log_sql))

    async def run() -> int:
        from server.jobs import runner

        async with open_database():
            if args.once:
                from server.stats.rollup import ensure_tree

                await ensure_tree()
                await runner.ensure_rows()
                outcomes = await runner.run_due(runner.runner_name())
                for outcome in outcomes:
                    print(f"{outcome.name}: {'ok' if outcome.succeeded else 'FAILED'}: {outcome.summary}")
                return 0 if all(o.succeeded for o in outcomes) else 1
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await runner.run_forever(stop)
            return 0

    return asyncio.run(run())


def _cmd_jobs(args: argparse.Namespace) -> int:
    async def run() -> int:
        from server.jobs import runner, service
        from server.jobs.registry import JOBS

        if args.jobs_command == "list":
            await runner.ensure_rows()
            for job in await service.job_states():
                last = job.last_started_at.isoformat(timespec="seconds") if job.last_started_at else "-"
                upcoming = job.next_run_at.isoformat(timespec="seconds") if job.next_run_at else "-"
                print(
                    f"{job.name:<18} every {job.every_seconds:>6}s  last {last} {job.last_outcome:<9} "
                    f"next {upcoming}  failures {job.failures}  attempts {job.attempts}"
                    + (f"  running on {job.running_on}" if job.running_on else "")
                    + (f"  error: {job.last_error}" if job.last_error else "")
                )
            return 0
        if args.name not in JOBS:
            print(f"error: no job {args.name!r}; jobs: {', '.join(JOBS)}", file=sys.stderr)
            return 1
        outcome = await runner.run_now(args.name, runner.runner_name())
        if outcome is None:
            print(f"error: {args.name} is running on another runner now", file=sys.stderr)
            return 1
        print(f"{outcome.name}: {'ok' if outcome.succeeded else 'FAILED'}: {outcome.summary}")
        return 0 if outcome.succeeded else 1

    return _with_db(run)


def _cmd_export_schema(args: argparse.Namespace) -> int:
    from schema.schema import sdl

    path = Path(args.output)
    path.write_text(sdl(), encoding="utf-8")
    print(f"Wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lianxin", description="Lianxin (连心桥) back office")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_cmd_migrate)
    sub.add_parser(
        "check-migrations", help="fail when the models have changes without a migration"
    ).set_defaults(func=_cmd_check_migrations)

    demo = sub.add_parser("demo", help="load the Dongguan demo data (idempotent)")
    demo.add_argument("--if-empty", action="store_true", help="only when the database holds no data")
    demo.set_defaults(func=_cmd_demo)

    serve = sub.add_parser("serve", help="serve the GraphQL API with uvicorn")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_cmd_serve)

    user = sub.add_parser("user", help="login accounts").add_subparsers(dest="user_command", required=True)
    create_user = user.add_parser("create", help="create an account (no roles yet)")
    create_user.add_argument("username")
    create_user.add_argument("--display-name", default=None)
    create_user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    create_user.set_defaults(func=_cmd_user_create)
    grant = user.add_parser("grant", help="grant a role in a jurisdiction")
    grant.add_argument("username")
    grant.add_argument("role")
    grant.add_argument("jurisdiction", help="jurisdiction code, e.g. dongguan or dongguan/changan")
    grant.set_defaults(func=_cmd_user_grant)

    apikey = sub.add_parser("apikey", help="data-sharing keys").add_subparsers(
        dest="key_command", required=True
    )
    create_key = apikey.add_parser("create", help="create a read-only key; prints it once")
    create_key.add_argument("--name", required=True)
    create_key.add_argument("--scope", action="append", required=True, help="repeat: station, stats, …")
    create_key.add_argument("--jurisdiction", default="dongguan")
    create_key.add_argument("--department", default=None, help="department code, e.g. market")
    create_key.add_argument("--days", type=int, default=365)
    create_key.set_defaults(func=_cmd_apikey_create)
    revoke_key = apikey.add_parser("revoke", help="revoke a key by its prefix")
    revoke_key.add_argument("prefix")
    revoke_key.set_defaults(func=_cmd_apikey_revoke)
    apikey.add_parser("list", help="list keys").set_defaults(func=_cmd_apikey_list)

    policy = sub.add_parser("policy", help="the access policy").add_subparsers(
        dest="policy_command", required=True
    )
    policy.add_parser("show", help="print the policy lines and grants in force").set_defaults(
        func=_cmd_policy_show
    )
    policy.add_parser(
        "load", help="replace the database's policy lines with policies/policy.csv (grants kept)"
    ).set_defaults(func=_cmd_policy_load)

    cal = sub.add_parser("calendar", help="the work calendar: holiday schedules").add_subparsers(
        dest="calendar_command", required=True
    )
    cal_import = cal.add_parser(
        "import",
        help="put in (or replace) a year's schedule from a JSON file (docs/domain.md, The work calendar)",
    )
    cal_import.add_argument("file", help="e.g. docs/samples/work-calendar-2026.json")
    cal_import.set_defaults(func=_cmd_calendar_import)
    cal.add_parser("show", help="the years with a schedule, and a warning for those without").set_defaults(
        func=_cmd_calendar_show
    )

    roll = sub.add_parser("rollup", help="the ticket figures behind the scorecard")
    roll.add_argument("action", choices=["rebuild", "check"], help="rebuild after bulk loads; check: compare")
    roll.set_defaults(func=_cmd_rollup)

    retention = sub.add_parser(
        "retention", help="citizens' personal data past its retention period (PIPL)"
    ).add_subparsers(dest="retention_command", required=True)
    retention_run = retention.add_parser(
        "run",
        help="anonymise tickets final for longer than LIANXIN_PERSONAL_DATA_RETENTION_DAYS "
        f"(now {settings.personal_data_retention_days}); statistics stay",
    )
    retention_run.add_argument("--dry-run", action="store_true", help="count only; change nothing")
    retention_run.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
    retention_run.set_defaults(func=_cmd_retention)

    worker = sub.add_parser("worker", help="run scheduled jobs (escalation sweeps, retention, rollup checks)")
    worker.add_argument("--once", action="store_true", help="run every due job once, then exit")
    worker.set_defaults(func=_cmd_worker)

    jobs = sub.add_parser("jobs", help="scheduled jobs").add_subparsers(dest="jobs_command", required=True)
    jobs.add_parser("list", help="each job: schedule, last run and outcome, next run, failures").set_defaults(
        func=_cmd_jobs
    )
    run_job = jobs.add_parser("run", help="run one job now, due or not (not while another runner runs it)")
    run_job.add_argument("name")
    run_job.set_defaults(func=_cmd_jobs)
    attachments = sub.add_parser(
        "attachments", help="photos and documents on tickets and proposals"
    ).add_subparsers(dest="attachments_command", required=True)
    cleanup = attachments.add_parser(
        "cleanup",
        help="remove stored files no attachment points to (uploads interrupted before their commit)",
    )
    cleanup.add_argument(
        "--grace-seconds",
        type=int,
        default=None,
        help="only files older than this (default LIANXIN_ATTACHMENT_ORPHAN_GRACE_SECONDS, "
        f"now {settings.attachment_orphan_grace_seconds}): an upload in flight writes its files first",
    )
    cleanup.set_defaults(func=_cmd_attachments_cleanup)

    imports = sub.add_parser("import", help="load data from spreadsheets").add_subparsers(
        dest="import_command", required=True
    )
    import_stations = imports.add_parser(
        "stations", help="stations from XLSX or CSV, by code: all rows or none (columns: README)"
    )
    import_stations.add_argument("file")
    import_stations.add_argument("--dry-run", action="store_true", help="check every row; write nothing")
    import_stations.add_argument(
        "--as", dest="as_user", required=True, help="the login account whose grants the import uses"
    )
    import_stations.set_defaults(func=_cmd_import_stations)
    backup = sub.add_parser(
        "backup", help="back the database up to FILE (PostgreSQL: pg_dump -Fc; SQLite: online backup)"
    )
    backup.add_argument("file")
    backup.set_defaults(func=_cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup made by `lianxin backup`")
    restore.add_argument("file")
    restore.add_argument(
        "--force", action="store_true", help="replace the data of a database that is not empty"
    )
    restore.set_defaults(func=_cmd_restore)

    export = sub.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", default=str(ROOT / "schema.graphql"))
    export.set_defaults(func=_cmd_export_schema)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
