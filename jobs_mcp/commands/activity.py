"""`jobs-mcp tail`, `inbox` and `stats`: what the jobs are doing, across every node sharing the database."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import click

from jobs_mcp.commands.common import (
    database_option,
    json_option,
    open_store,
    print_json,
    print_table,
    seconds_between,
    when,
)
from jobs_mcp.results import lean
from jobs_mcp.tools_inbox import InboxMessage
from store import operator
from store.outbox import DeliveryStore

# Rows are stamped by each node's clock; re-reading this far back catches a row from a node whose
# clock is a little behind (or a transaction that committed late), and keys already shown are skipped.
OVERLAP = timedelta(seconds=30)
SEEN_MAX = 100_000
PAGE = 500


@click.command()
@click.option("--since", "since_minutes", default=10.0, show_default=True, type=click.FloatRange(0),
              help="Start with what happened in the last MINUTES")
@click.option("--once", is_flag=True, help="Print what there is and stop")
@click.option("--limit", default=None, type=click.IntRange(1), help="Stop after this many lines")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05), help="Seconds between polls")
@json_option
@database_option
def tail(since_minutes: float, once: bool, limit: int | None, interval: float, as_json: bool,
         database_url: str | None) -> None:
    """Runs and deliveries as they happen, on every node (Ctrl-C stops)."""
    with open_store(database_url) as store:
        start = store.now - timedelta(minutes=since_minutes)
        high = start  # the newest happening shown (or the clock, when all was shown)
        seen: dict[str, None] = {}
        printed = 0
        try:
            while True:
                items, complete = operator.activity_since(store.repo, max(start, high - OVERLAP), PAGE)
                for item in items:
                    if item.key in seen:
                        continue
                    seen[item.key] = None
                    _print_activity(item, as_json)
                    printed += 1
                    high = max(high, item.at)
                    if limit is not None and printed >= limit:
                        return
                while len(seen) > SEEN_MAX:
                    seen.pop(next(iter(seen)))
                if once and complete:
                    return
                if complete:  # all caught up: later polls need not look further back than the overlap
                    high = max(high, store.now - OVERLAP)
                    time.sleep(interval)
        except KeyboardInterrupt:
            return


def _print_activity(item: operator.Activity, as_json: bool) -> None:
    row = item.row
    if as_json:
        fields = _RUN_FIELDS if item.kind.startswith("run.") else _DELIVERY_FIELDS
        data = {"at": item.at.isoformat(), "activity": item.kind,
                **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()
                   if k in fields and v is not None}}
        print_json(data)
        return
    if item.kind == "run.started":
        text = f"{row['job_id']} {row['id']} started attempt {row['attempt']} on {row['worker'] or '?'}"
    elif item.kind == "run.finished":
        took = seconds_between(row["started_at"], row["finished_at"])
        text = (f"{row['job_id']} {row['id']} {row['outcome']} {took} ${row['cost_usd'] or 0:.4f}"
                + (f" verdict {row['verdict']}" if row["verdict"] else "")
                + (f": {_line(row['error'] or row['summary'])}" if row["error"] or row["summary"] else ""))
    else:
        text = (f"{row['job_id']} {row['kind']} {row['event']} {row['status']} to {row['owner']}"
                + (f" ({row['chat_id']})" if row["chat_id"] else "")
                + (f": {_line(row['last_error'])}" if row["last_error"] else ""))
    click.echo(f"{when(item.at)} {item.kind:<18} {text}")


_RUN_FIELDS = frozenset({"id", "job_id", "owner", "attempt", "scheduled_for", "started_at", "finished_at", "outcome",
                         "verdict", "summary", "error", "worker", "cost_usd", "tokens_in", "tokens_out"})
_DELIVERY_FIELDS = frozenset({"id", "job_id", "run_id", "owner", "chat_id", "kind", "event", "status", "attempts",
                              "last_error", "created_at", "delivered_at"})


def _line(text: str, limit: int = 120) -> str:
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


@click.command()
@click.argument("owner")
@click.option("--chat", "chat_id", default=None, help="Only messages for this chat")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@database_option
def inbox(owner: str, chat_id: str | None, limit: int, as_json: bool, database_url: str | None) -> None:
    """An owner's unread messages, oldest first (reading here does not mark them read)."""
    with open_store(database_url) as store:
        if not operator.owner_exists(store.repo, owner):
            raise click.ClickException(f"not_found: no jobs of owner {owner!r}")
        rows = DeliveryStore(store.repo).read_inbox(owner, chat_id, limit, False, store.now)
    if as_json:
        print_json({"owner": owner, "messages": [lean(InboxMessage.of(r)) for r in rows]})
        return
    print_table(f"inbox of {owner}", ["AT (UTC)", "CHAT", "JOB", "EVENT", "MESSAGE"],
                [[when(r.created_at), r.chat_id, r.job_id, r.event, _line(r.message)] for r in rows])


@click.command()
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 366), help="Days of runs and cost")
@click.option("--owner", default=None, help="Only this owner")
@json_option
@database_option
def stats(days: int, owner: str | None, as_json: bool, database_url: str | None) -> None:
    """Jobs by status, runs and cost per day, webhook deliveries waiting and dead."""
    with open_store(database_url) as store:
        figures = operator.stats(store.repo, store.now, days, owner)
    if as_json:
        data: dict[str, Any] = {"jobs_by_status": figures.jobs_by_status,
                                "days": [{"day": d.day, "runs": d.runs, "failed": d.failed,
                                          "cost_usd": round(d.cost_usd, 6)} for d in figures.days],
                                "deliveries": figures.deliveries}
        print_json(data)
        return
    print_table("jobs by status", ["STATUS", "JOBS"], sorted(figures.jobs_by_status.items()))
    print_table("runs per day (UTC)", ["DAY", "RUNS", "FAILED", "COST USD"],
                [[d.day, d.runs, d.failed, f"{d.cost_usd:.4f}"] for d in figures.days])
    print_table("deliveries", ["WHAT", "COUNT"], list(figures.deliveries.items()))
