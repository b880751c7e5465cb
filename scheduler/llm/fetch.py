"""http_fetch: a guarded GET whose answer the model can read.

Limits: 15 s for the whole fetch, 1 MB of body (the rest is cut, and the
model is told), 5 redirects, each hop checked by `scheduler.net_guard`.
HTML is reduced to its readable text; other text types pass as they are;
binary bodies are described, not returned.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from scheduler.net_guard import AllowList, FetchRefused, check_url, guarded_client

TIMEOUT_S = 15.0
MAX_BODY_BYTES = 1_000_000
MAX_REDIRECTS = 5
MAX_TEXT_CHARS = 60_000  # what the model reads of one page: enough for an article, bounded in tokens
_REDIRECTS = (301, 302, 303, 307, 308)
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "head")


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    content_type: str
    text: str
    truncated: bool

    def for_model(self) -> str:
        note = " (cut at the size limit)" if self.truncated else ""
        return f"URL: {self.url}\nStatus: {self.status}\nContent-Type: {self.content_type}{note}\n\n{self.text}"


def html_to_text(html: str) -> str:
    """The readable text of a page: title, then the body's text, one block per line."""
    from bs4 import BeautifulSoup  # imported on first use: it costs the server's start a third of a second

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else ""
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    body = soup.get_text("\n", strip=True)
    return f"{title}\n\n{body}".strip() if title else body


async def http_fetch(url: str, allow: AllowList, *, timeout_s: float = TIMEOUT_S,
                     max_bytes: int = MAX_BODY_BYTES) -> FetchResult:
    """GET `url`; raises FetchRefused for a forbidden or failed fetch (the message is for the model)."""
    try:
        return await asyncio.wait_for(_fetch(url, allow, max_bytes), timeout_s)
    except TimeoutError:
        raise FetchRefused(f"timed out after {timeout_s:g} s") from None


async def _fetch(url: str, allow: AllowList, max_bytes: int) -> FetchResult:
    async with guarded_client(allow, TIMEOUT_S, headers={"User-Agent": "jobs-mcp/0.1 (+http_fetch)"}) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            await check_url(url, allow)
            try:
                async with client.stream("GET", url) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    body, truncated = await _read_limited(response, max_bytes)
                    return _result(str(response.url), response, body, truncated)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError
                raise FetchRefused(f"fetch failed: {exc or type(exc).__name__}") from None
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")


async def _read_limited(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(chunks)[:max_bytes], True
    return b"".join(chunks), False


def _result(url: str, response: httpx.Response, body: bytes, truncated: bool) -> FetchResult:
    content_type = response.headers.get("content-type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind and not (kind.startswith("text/") or kind.endswith(("json", "xml", "javascript"))):
        text = f"({len(body)} bytes of {kind}; not shown)"
    else:
        decoded = body.decode(response.encoding or "utf-8", errors="replace")
        is_html = "html" in kind or (not kind and decoded.lstrip()[:15].lower().startswith(("<!doctype", "<html")))
        text = html_to_text(decoded) if is_html else decoded
    if len(text) > MAX_TEXT_CHARS:
        text, truncated = text[:MAX_TEXT_CHARS], True
    return FetchResult(url=url, status=response.status_code, content_type=content_type, text=text,
                       truncated=truncated)
