"""The server's log on stderr: what an operator cares about, as text or as JSON lines.

Records carry their ids as fields (`extra={"job_id": ..., "run_id": ...}`); the text
format appends them as `key=value`, the JSON format puts them beside the message so a
log shipper can index them. Libraries' own chatter (APScheduler's every-tick lines,
alembic's per-start lines) is kept to warnings unless the level is DEBUG.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

FORMATS = ("text", "json")
# Fields a record may carry in `extra`; they are printed in this order.
FIELDS = ("job_id", "run_id", "outcome", "duration_s", "cost_usd", "lateness_s", "delivery_id", "kind",
          "worker", "address", "database", "model", "path", "jobs")
# apscheduler: four lines per tick; the MCP session manager: a line per client session.
QUIET_LOGGERS = ("apscheduler", "alembic", "httpx", "httpcore", "mcp.server.streamable_http_manager",
                 "mcp.server.streamable_http")


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The extra fields of `record` that the formats show, in FIELDS order."""
    return {name: getattr(record, name) for name in FIELDS if getattr(record, name, None) is not None}


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = record_fields(record)
        if not fields:
            return text
        head, newline, rest = text.partition("\n")  # fields stay on the message's line, before a traceback
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, the record's fields, and exc for a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        entry.update(record_fields(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, fmt: str = "text", stream: TextIO | None = None) -> None:
    """Route every logger to one stderr handler in `fmt` ("text" or "json") at `level`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    quiet = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
