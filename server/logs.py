"""Structured logs: one JSON object per line, each carrying the request id of the request it was
written for (the HTTP layer sets it; anything logged while serving that request picks it up)."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Any

# The id of the request being served in this task; "-" outside of requests (startup, shutdown).
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("lianxin_request_id", default="-")

# Attributes every LogRecord has; anything else on a record came from `extra=` and is a field.
# uvicorn's color_message repeats the message with terminal colours.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, then the record's `extra` fields, then the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id.get()
        if request_id != "-":
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class WithholdSqlParameters(logging.Filter):
    """The database drivers log every statement with its parameters at DEBUG (LIANXIN_LOG_SQL):
    citizens' names and phones among them, in logs that are shipped, kept and read by people who
    may not see them. The statement is kept, the parameters are not."""

    WITHHELD = "[parameters withheld]"

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not args:
            return True
        if record.name == "tortoise.db_client" and record.msg == "%s: %s" and len(args) == 2:
            record.args = (args[0], self.WITHHELD)  # (statement, values)
        elif record.name == "aiosqlite":
            # "executing %s": a functools.partial holding the statement and its values
            record.args = tuple(
                getattr(getattr(a, "func", None), "__name__", None) or self.WITHHELD for a in args
            )
        return True


SQL_LOGGERS = ("tortoise.db_client", "aiosqlite")


def withhold_sql_parameters() -> None:
    """On the loggers themselves (not a handler), so every handler, caplog included, sees only the
    redacted record. Idempotent."""
    for name in SQL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, WithholdSqlParameters) for f in logger.filters):
            logger.addFilter(WithholdSqlParameters())


withhold_sql_parameters()


def logging_config(
    level: str = "INFO", *, log_sql: bool = False, count_sql_from_log: bool = False
) -> dict[str, Any]:
    """A `logging.config.dictConfig` for `lianxin serve`. uvicorn applies it in every worker
    process, so workers log JSON too; uvicorn's own loggers propagate to the same handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "stderr_warnings": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
                "level": "WARNING",
            },
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            # On SQLite at DEBUG always: each statement is counted for lianxin_request_statements
            # from its record (server.metrics); written to the log only with LIANXIN_LOG_SQL.
            "tortoise.db_client": {
                "level": "DEBUG" if log_sql or count_sql_from_log else "WARNING",
                "handlers": [] if log_sql else ["stderr_warnings"],
                "propagate": log_sql,
            },
            "casbin": {"level": "WARNING"},  # it prints the whole model at every policy load
        },
    }
