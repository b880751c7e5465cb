"""The wheel carries everything a non-editable install needs: built from a copy of the source, installed
into a fresh virtual environment outside the source tree, and served from there by `jobs-mcp serve`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.jobs_mcp.conftest import http_client
from tests.support.serve_process import running_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# What a build reads; the rest of the checkout (tests, bench, .venv, .git) stays out of the copy.
BUILD_INPUTS = ("pyproject.toml", "README.md", "jobs_mcp", "scheduler", "store")
PROMPTS = ("execute", "judge", "observe", "schedule")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wheel")


@pytest.fixture(scope="module")
def wheel(work: Path) -> tuple[Path, str]:
    """The wheel and the build's output. Built from a copy: a build writes build/ and *.egg-info."""
    source = work / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-w", str(work / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [built] = (work / "dist").glob("jobs_mcp-*.whl")
    return built, done.stdout + done.stderr


@pytest.fixture(scope="module")
def venv(work: Path, wheel: tuple[Path, str]) -> Path:
    """A fresh environment with the wheel installed (not editable). Its dependencies are this
    interpreter's site-packages, listed in a .pth file; the source tree is not on its path."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = _run(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).strip()
    shared = [path for path in sys.path if path.endswith("site-packages") and Path(path).is_dir()]
    (Path(purelib) / "shared-dependencies.pth").write_text("\n".join(shared) + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", str(wheel[0])],
                   check=True, capture_output=True, timeout=300, cwd=work, env=_clean_env())
    return venv


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, **extra}


def _run(python: Path, code: str, cwd: Path) -> str:
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env=_clean_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_wheel_holds_every_module_and_data_file_of_the_packages(wheel: tuple[Path, str]) -> None:
    path, build_output = wheel
    names = set(zipfile.ZipFile(path).namelist())
    sources = {file.relative_to(ROOT).as_posix() for package in BUILD_INPUTS[2:]
               for file in (ROOT / package).rglob("*") if file.is_file() and "__pycache__" not in file.parts}
    assert sources - names == set()
    assert {f"scheduler/llm/prompts/{name}.md" for name in PROMPTS} | {"store/sql/search_sqlite.sql"} <= names
    assert {"jobs_mcp/dashboard/templates/jobs.html", "jobs_mcp/dashboard/static/dashboard.css"} <= names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    assert "warning" not in build_output.lower(), build_output


def test_the_installed_code_is_the_wheel_and_finds_its_prompts(venv: Path, work: Path) -> None:
    found = json.loads(_run(venv / "bin" / "python", (
        "import json, sys, jobs_mcp, scheduler.llm.prompts as p, store.search_keyword as k\n"
        "from importlib import resources\n"
        "print(json.dumps({'files': [jobs_mcp.__file__, p.__file__, k.__file__], 'path': sys.path,\n"
        "  'prompts': p.prompt_names(), 'variables': sorted(p.variables_of('observe')),\n"
        "  'sql': resources.files('store').joinpath('sql', 'search_sqlite.sql').is_file()}))"), cwd=work))
    assert all(file.startswith(str(venv)) for file in found["files"]), found["files"]
    assert not any(entry == str(ROOT) or entry.startswith(str(ROOT) + "/jobs_mcp") for entry in found["path"])
    assert found["prompts"] == sorted(PROMPTS) and "chat_message" in found["variables"] and found["sql"]


async def test_jobs_mcp_serve_from_the_wheel_answers_tool_calls(venv: Path, work: Path) -> None:
    command = [str(venv / "bin" / "jobs-mcp"), "serve"]
    with running_server(f"sqlite:///{work / 'jobs.db'}", work / "serve.log", command=command,
                        cwd=work) as (url, _process):
        async with http_client(url) as client:
            preview = await client.call_tool("schedule_preview", {"schedule": "every Monday at 9am",
                                                                  "timezone": "Europe/Berlin"})
            created = await client.call_tool("job_create", {"title": "Stretch", "instructions": "Stand up",
                                                            "action": "notify", "interval_seconds": 3600})
            found = await client.call_tool("job_retrieval_by_keywords", {"keywords": "stretch"})
        dashboard = httpx.get(url.removesuffix("/mcp") + "/")  # its templates come from the installed wheel
    assert dashboard.status_code == 200 and "Stretch" in dashboard.text
    assert not preview.is_error and not created.is_error and not found.is_error, (preview, created, found)
    assert preview.structured_content["summary"].startswith("Every Monday at 09:00")  # type: ignore[index]
    job = created.structured_content["job"]  # type: ignore[index]
    assert job["schedule_summary"] == "Every hour" and job["status"] == "ACTIVE"
    assert [hit["job"]["id"] for hit in found.structured_content["jobs"]] == [job["id"]]  # type: ignore[index]
