"""`lianxin` command line: migrate, demo, serve, export-schema, check-migrations."""

from __future__ import annotations

import argparse
import asyncio
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


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level="info",
        access_log=False,
    )
    return 0


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

    export = sub.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", default=str(ROOT / "schema.graphql"))
    export.set_defaults(func=_cmd_export_schema)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
