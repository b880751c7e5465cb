"""The operator's command line against real database files: reads, changes with actor `operator`, export and
import, db, doctor, and one clear line for every bad id, owner or file."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from jobs_mcp.app import App, build_app
from jobs_mcp.cli import main
from jobs_mcp.config import Settings
from scheduler.clock import FakeClock, SystemClock
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.owner_defaults import OwnerSettingsInput
from scheduler.schedules.job_schedule import listed_summary
from store.models import Job
from tests.support.serve_process import JOBS_MCP


def cli(url: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"JOBS_MCP_DATABASE_URL": url}, input=input,
                              catch_exceptions=False)


def out_json(result: Result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def one_line_failure(result: Result) -> str:
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.fixture
def seeded(sqlite_url: str) -> Iterator[tuple[str, App, dict[str, Job]]]:
    """alice: a reminder that ran (a run and an inbox message) and a recurring job; bob: one job. The clock is
    real: the command line reads with it."""
    clock = FakeClock(SystemClock().now() - timedelta(minutes=5))
    app = build_app(Settings(database_url=sqlite_url), clock, search=False)
    jobs = {
        "ran": app.service.create("alice", JobInput(title="Call Mum", instructions="Call Mum", action="notify",
                                                    run_at=clock.now().isoformat(), chat_id="c-1")).job,
        "daily": app.service.create("alice", JobInput(title="Invoices", instructions="Check invoices",
                                                      action="notify", cron="0 9 * * *")).job,
        "bob": app.service.create("bob", JobInput(title="Bob's", instructions="x", action="notify",
                                                  cron="0 9 * * *")).job,
    }
    import anyio

    anyio.run(app.engine.poller.tick_until_idle)  # the reminder runs and leaves its message
    yield sqlite_url, app, jobs
    app.close()


def test_jobs_list_filters_and_json(seeded: tuple[str, App, dict[str, Job]]) -> None:
    url, _app, jobs = seeded
    listed = out_json(cli(url, "jobs", "list", "--json"))["jobs"]
    assert {j["id"] for j in listed} == {j.id for j in jobs.values()}
    alice = out_json(cli(url, "jobs", "list", "--owner", "alice", "--status", "active", "--json"))["jobs"]
    assert [(j["id"], j["owner"]) for j in alice] == [(jobs["daily"].id, "alice")]
    completed = out_json(cli(url, "jobs", "list", "--status", "COMPLETED", "--type", "one_off", "--json"))["jobs"]
    assert [j["id"] for j in completed] == [jobs["ran"].id]
    table = cli(url, "jobs", "list")
    assert table.exit_code == 0 and "Invoices" in table.output and "bob" in table.output


def test_a_damaged_schedule_still_lists_as_stored(seeded: tuple[str, App, dict[str, Job]]) -> None:
    url, app, jobs = seeded
    with app.db.begin() as conn:  # past every check, as a manual edit leaves it
        conn.execute(text("UPDATE jobs SET cron = '61 25 * * *' WHERE id = :id"), {"id": jobs["daily"].id})
    table = cli(url, "jobs", "list", "--owner", "alice")
    assert table.exit_code == 0 and "61 25 * * *" in table.output and "Call Mum" in table.output
    assert listed_summary(app.repo.get_job("alice", jobs["daily"].id)) == "61 25 * * *"  # the dashboard's too
    assert listed_summary(jobs["bob"]) == "Daily at 09:00 (UTC)"


def test_show_and_runs_give_the_job_its_runs_and_events(seeded: tuple[str, App, dict[str, Job]]) -> None:
    url, _app, jobs = seeded
    shown = out_json(cli(url, "jobs", "show", jobs["ran"].id, "--json"))
    assert shown["job"]["status"] == "COMPLETED" and shown["job"]["owner"] == "alice"
    assert [r["outcome"] for r in shown["runs"]] == ["succeeded"]
    assert [e["to_status"] for e in shown["events"]] == ["ACTIVE", "IN_PROGRESS", "COMPLETED"]
    runs = out_json(cli(url, "jobs", "runs", jobs["ran"].id, "--json"))
    assert runs["job_id"] == jobs["ran"].id and len(runs["runs"]) == 1
    table = cli(url, "jobs", "show", jobs["ran"].id)
    assert table.exit_code == 0 and "succeeded" in table.output and "COMPLETED" in table.output


def test_changes_are_recorded_with_actor_operator(seeded: tuple[str, App, dict[str, Job]]) -> None:
    url, app, jobs = seeded
    job_id = jobs["daily"].id
    paused = out_json(cli(url, "jobs", "pause", job_id, "--reason", "maintenance", "--json"))
    assert paused["job"]["status"] == "PAUSED" and paused["job"]["paused_reason"] == "maintenance"
    assert cli(url, "jobs", "resume", job_id).output.startswith(f"{job_id} ACTIVE")
    assert cli(url, "jobs", "run-now", job_id).exit_code == 0
    assert cli(url, "jobs", "cancel", job_id, "--reason", "asked by phone").exit_code == 0
    events = app.service.events("alice", job_id)
    assert [(e.to_status, e.actor) for e in events[1:]] == [("PAUSED", "operator"), ("ACTIVE", "operator"),
                                                           ("CANCELLED", "operator")]
    assert events[-1].reason == "asked by phone"
    # The same conflict advice as the tools:
    refused = one_line_failure(cli(url, "jobs", "pause", job_id))
    assert refused.startswith("Error: conflict: cannot pause job") and "job_create" in refused


def test_inbox_and_stats(seeded: tuple[str, App, dict[str, Job]]) -> None:
    url, _app, jobs = seeded
    inbox = out_json(cli(url, "inbox", "alice", "--json"))
    assert [(m["job_id"], m["message"].split("\n")[0]) for m in inbox["messages"]] == [(jobs["ran"].id, "Call Mum")]
    assert out_json(cli(url, "inbox", "alice", "--json"))["messages"], "reading from the CLI marks nothing read"
    stats = out_json(cli(url, "stats", "--json"))
    assert stats["jobs_by_status"] == {"ACTIVE": 2, "COMPLETED": 1}
    assert sum(d["runs"] for d in stats["days"]) == 1 and len(stats["days"]) == 7
    assert stats["deliveries"]["inbox_unread"] == 1


def test_tail_once_prints_runs_and_deliveries(seeded: tuple[str, App, dict[str, Job]]) -> None:
    url, _app, jobs = seeded
    lines = cli(url, "tail", "--once", "--json").output.strip().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["activity"] for e in events] == ["run.started", "run.finished", "delivery.created"]
    assert all(e["job_id"] == jobs["ran"].id for e in events)
    assert len(cli(url, "tail", "--limit", "1").output.strip().splitlines()) == 1
    assert cli(url, "tail", "--once", "--since", "0").output == ""


def test_export_then_import_into_another_database_is_idempotent(seeded: tuple[str, App, dict[str, Job]],
                                                                tmp_path: Path) -> None:
    url, app, jobs = seeded
    document = out_json(cli(url, "export", "alice"))
    assert document["format"] == "jobs-mcp.export" and document["version"] == 1
    assert {j["id"] for j in document["jobs"]} == {jobs["ran"].id, jobs["daily"].id}
    path = tmp_path / "alice.json"
    path.write_text(json.dumps(document))
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert cli(other, "db", "upgrade").exit_code == 0
    first = out_json(cli(other, "import", str(path), "--json"))
    assert sorted(first["imported"]) == sorted([jobs["ran"].id, jobs["daily"].id]) and first["existing"] == []
    again = out_json(cli(other, "import", str(path), "--json"))
    assert again["imported"] == [] and len(again["existing"]) == 2
    copied = out_json(cli(other, "jobs", "show", jobs["daily"].id, "--json"))["job"]
    original = out_json(cli(url, "jobs", "show", jobs["daily"].id, "--json"))["job"]
    assert {k: v for k, v in copied.items() if k not in ("version",)} == {
        k: v for k, v in original.items() if k not in ("version",)}
    # Another owner's id in the file refuses the whole file.
    document["owner"] = "mallory"
    for job in document["jobs"]:
        job["owner"] = "mallory"
    path.write_text(json.dumps(document))
    assert "stored for another owner" in one_line_failure(cli(url, "import", str(path)))


def test_export_carries_the_owners_settings_and_import_keeps_settings_already_there(
        seeded: tuple[str, App, dict[str, Job]], tmp_path: Path) -> None:
    url, app, _jobs = seeded
    app.owner_defaults.store.change("alice", {"timezone": "Europe/Berlin", "quiet_hours": "22:00-07:00",  # no DNS here
                                              "channels": ["json://hooks.example.com/alice"]}, app.clock.now())
    document = out_json(cli(url, "export", "alice"))
    assert document["settings"] == {"timezone": "Europe/Berlin", "channels": ["json://hooks.example.com/alice"],
                                    "quiet_hours": "22:00-07:00"}
    assert "settings" not in out_json(cli(url, "export", "bob"))  # bob never set any
    path = tmp_path / "alice.json"
    path.write_text(json.dumps(document))
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    assert cli(other_url, "db", "upgrade").exit_code == 0
    assert out_json(cli(other_url, "import", str(path), "--json"))["settings"] == "imported"
    other = build_app(Settings(database_url=other_url), FakeClock(SystemClock().now()), engine="off", search=False)
    try:
        assert other.owner_defaults.read("alice").quiet_hours == "22:00-07:00"
        other.owner_defaults.change("alice", OwnerSettingsInput(timezone="Asia/Tokyo"))
        assert "the settings already there kept" in cli(other_url, "import", str(path)).output
        assert other.owner_defaults.read("alice").timezone == "Asia/Tokyo"
    finally:
        other.close()


@pytest.mark.parametrize(("settings", "expected"), [
    ({"timezone": "Mars/Olympus"}, "settings.timezone: expected an IANA zone"),
    ({"quiet_hours": "late"}, "settings.quiet_hours: expected HH:MM-HH:MM"),
    ({"channels": "json://x"}, "settings.channels: expected a list of channel URLs"),
    ({"colour": "red"}, "settings: expected an object with at most timezone, channels, quiet_hours"),
])
def test_bad_settings_in_an_import_file_refuse_it_whole(seeded: tuple[str, App, dict[str, Job]], tmp_path: Path,
                                                         settings: dict, expected: str) -> None:
    url, _app, _jobs = seeded
    document = out_json(cli(url, "export", "alice"))
    document["settings"] = settings
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    assert cli(other_url, "db", "upgrade").exit_code == 0
    path = tmp_path / "alice.json"
    path.write_text(json.dumps(document))
    assert expected in one_line_failure(cli(other_url, "import", str(path)))
    assert "no jobs of owner" in one_line_failure(cli(other_url, "export", "alice"))  # nothing was written


@pytest.mark.parametrize(("args", "expected"), [
    (("jobs", "show", "job_000000000000"), "Error: not_found: job 'job_000000000000' does not exist"),
    (("jobs", "cancel", "nope"), "Error: not_found: job 'nope' does not exist"),
    (("inbox", "nobody"), "Error: not_found: no jobs of owner 'nobody'"),
    (("export", "nobody"), "Error: not_found: no jobs of owner 'nobody'"),
    (("jobs", "list", "--status", "DONE"), "Error: invalid_argument: --status: expected one or more of"),
])
def test_a_bad_id_or_owner_is_one_line(seeded: tuple[str, App, dict[str, Job]], args: tuple[str, ...],
                                       expected: str) -> None:
    assert one_line_failure(cli(seeded[0], *args)).startswith(expected)


@pytest.mark.parametrize(("content", "expected"), [
    (None, "No such file"),
    ("{not json", "is not JSON"),
    ('{"format": "other"}', "expected a jobs-mcp.export document"),
    ('{"format": "jobs-mcp.export", "version": 9, "owner": "a", "jobs": []}', "version: expected 1"),
    ('{"format": "jobs-mcp.export", "version": 1, "owner": "a", "jobs": [{"id": "j"}]}', "jobs[0]: expected"),
])
def test_a_bad_import_file_is_one_line_and_changes_nothing(sqlite_url: str, tmp_path: Path, content: str | None,
                                                           expected: str) -> None:
    assert cli(sqlite_url, "db", "upgrade").exit_code == 0
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content)
    assert expected in one_line_failure(cli(sqlite_url, "import", str(path)))
    assert out_json(cli(sqlite_url, "jobs", "list", "--json")) == {"jobs": []}


def test_reads_never_create_or_migrate_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    assert "no database at" in one_line_failure(cli(url, "jobs", "list"))
    assert not (tmp_path / "none.db").exists()
    assert cli(url, "db", "upgrade").output.startswith("database at revision ")
    assert out_json(cli(url, "db", "current", "--json"))["up_to_date"] is True


def test_doctor_on_sqlite_passes_and_names_each_check(sqlite_url: str) -> None:
    assert cli(sqlite_url, "db", "upgrade").exit_code == 0
    report = out_json(cli(sqlite_url, "doctor", "--json"))
    assert report["ok"] is True
    assert [c["name"] for c in report["checks"]] == ["configuration", "database", "schema", "embedding model",
                                                     "LLM endpoint", "clock skew"]


def test_doctor_fails_on_an_unmigrated_database_and_an_unreachable_llm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(main, ["doctor"], env={"JOBS_MCP_DATABASE_URL": url, "ANTHROPIC_API_KEY": "k",
                                                        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 1
    verdicts = {line.split(":")[0].split(None, 1)[1]: line.split()[0] for line in result.output.splitlines()}
    assert verdicts["schema"] == "FAIL" and verdicts["LLM endpoint"] == "FAIL" and verdicts["database"] == "ok"


def test_the_real_command_answers_one_line_and_exit_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    env = {"JOBS_MCP_DATABASE_URL": url, "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    subprocess.run([JOBS_MCP, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    done = subprocess.run([JOBS_MCP, "jobs", "show", "job_missing"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and done.stderr == "Error: not_found: job 'job_missing' does not exist\n"
    listed = subprocess.run([JOBS_MCP, "jobs", "list", "--json"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0 and json.loads(listed.stdout) == {"jobs": []}
