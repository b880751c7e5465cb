"""The dashboard's routes: the jobs list at /, a job's page at /jobs/{id}, the token login.

Owner-scoped by the caller's token; operator and platform tokens (and loopback clients
without a tokens file) see every owner (jobs_mcp.operator_access). A `?token=` is turned
into an HttpOnly cookie and dropped from the address at once.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from jobs_mcp.app import App
from jobs_mcp.dashboard.views import STATUSES, TYPES, Filters, chart, job_list, job_page
from jobs_mcp.operator_access import TOKEN_COOKIE, OperatorAccess, Refusal, Viewer
from jobs_mcp.operator_http import refusal_response

if TYPE_CHECKING:
    from jinja2 import Environment

MAX_FORM = 4096


@cache
def templates() -> Environment:
    from jinja2 import Environment, PackageLoader, select_autoescape  # on the first page, not at start

    env = Environment(loader=PackageLoader("jobs_mcp.dashboard", "templates"),
                      autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.filters["usd"] = lambda v: f"${v:,.4f}" if v else "$0"
    env.filters["utc"] = lambda d: d.strftime("%Y-%m-%d %H:%M:%S") if d else ""
    env.filters["secs"] = lambda s: "" if s is None else (f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s")
    return env


@cache
def stylesheet() -> bytes:
    return files("jobs_mcp.dashboard").joinpath("static/dashboard.css").read_bytes()


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates().get_template(name).render(**context), status_code=status)


def _with_cookie(response: Response, token: str) -> Response:
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


class Dashboard:
    def __init__(self, app: App, access: OperatorAccess) -> None:
        self.app = app
        self.access = access
        self.logged_in = access.tokens is not None  # a tokens file: the pages offer "log out"

    def routes(self) -> list[BaseRoute]:
        return [Route("/", self.jobs, methods=["GET"]), Route("/jobs/{job_id}", self.job, methods=["GET"]),
                Route("/login", self.login, methods=["GET", "POST"]),
                Route("/logout", self.logout, methods=["GET", "POST"]),
                Route("/static/dashboard.css", self.css, methods=["GET"])]

    def seen(self, request: Request) -> Viewer | Response:
        """Who is looking, or the response to send instead (the login form, a refusal, a login link's redirect)."""
        viewer = self.access.viewer(request)
        if isinstance(viewer, Refusal):
            if viewer.status == 401:
                problem = None if self.access.token_of(request) is None else "That token is not valid."
                return render("login.html", 401, problem=problem)
            return refusal_response(viewer)
        token = request.query_params.get("token")
        if token and self.logged_in:  # a login link: keep the token in a cookie, not in the address
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            return _with_cookie(RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), 303), token)
        return viewer

    async def jobs(self, request: Request) -> Response:
        viewer = self.seen(request)
        if isinstance(viewer, Response):
            return viewer
        filters = Filters.of(dict(request.query_params), viewer.owner is None)
        now = self.app.clock.now()
        listed = await anyio.to_thread.run_sync(job_list, self.app.repo, viewer.owner, filters)
        costs = await anyio.to_thread.run_sync(chart, self.app.repo, viewer.owner or filters.owner or None, now)
        return render("jobs.html", viewer=viewer, listed=listed, filters=filters, statuses=STATUSES, types=TYPES,
                      chart=costs, logged_in=self.logged_in)

    async def job(self, request: Request) -> Response:
        viewer = self.seen(request)
        if isinstance(viewer, Response):
            return viewer
        job_id = request.path_params["job_id"]
        page = await anyio.to_thread.run_sync(job_page, self.app.repo, viewer.owner, job_id, self.app.clock.now())
        if page is None:
            return render("missing.html", 404, viewer=viewer, job_id=job_id, logged_in=self.logged_in)
        return render("job.html", viewer=viewer, page=page, logged_in=self.logged_in)

    async def login(self, request: Request) -> Response:
        if request.method == "GET" or self.access.tokens is None:
            return render("login.html", problem=None) if self.logged_in else RedirectResponse("/", 303)
        body = (await request.body())[:MAX_FORM].decode("utf-8", "replace")
        token = (parse_qs(body).get("token") or [""])[0].strip()
        if not token or self.access.tokens.owner_for(token) is None:
            return render("login.html", 401, problem="That token is not valid.")
        return _with_cookie(RedirectResponse("/", 303), token)

    async def logout(self, _request: Request) -> Response:
        response = RedirectResponse("/", 303)
        response.delete_cookie(TOKEN_COOKIE, path="/")
        return response

    async def css(self, _request: Request) -> Response:
        return Response(stylesheet(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})


def routes(app: App, access: OperatorAccess) -> list[BaseRoute]:
    return Dashboard(app, access).routes()
