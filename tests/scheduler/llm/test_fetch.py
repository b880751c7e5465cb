"""http_fetch refuses the server's own network (after DNS, on every redirect) unless allowed."""

from __future__ import annotations

import anyio
import pytest

from scheduler.llm.fetch import http_fetch
from scheduler.net_guard import AllowList, FetchRefused, check_url
from tests.support.fake_anthropic import FakeMessagesAPI

NOTHING = AllowList()
LOCAL = AllowList.parse(["127.0.0.1"])


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://127.8.9.10:8080/x", "http://10.0.0.1/", "http://192.168.1.1/", "http://172.16.0.5/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
    "http://100.100.100.200/", "http://[fd00:ec2::254]/", "http://224.0.0.1/", "http://localhost/",
    "http://[2002:7f00:1::]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[::127.0.0.1]/",
])
async def test_forbidden_addresses_are_refused_before_any_connection(url: str) -> None:
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="refused"):
        await check_url(url, NOTHING)
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="refused"):
        await http_fetch(url, NOTHING)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "gopher://x/", "/relative"])
async def test_only_http_and_https(url: str) -> None:
    with pytest.raises(FetchRefused, match="only http and https"):
        await check_url(url, NOTHING)


async def test_an_allowed_address_is_fetched_and_html_reduced(fake_api: FakeMessagesAPI) -> None:
    fake_api.page("a", "<html><head><title>T</title><style>p{}</style></head><body><p>Hello</p>"
                       "<script>alert(1)</script></body></html>")
    result = await http_fetch(f"{fake_api.base_url}/pages/a", LOCAL)  # type: ignore[attr-defined]
    assert result.status == 200 and result.text == "T\n\nHello" and not result.truncated


async def test_the_body_is_cut_at_one_megabyte(fake_api: FakeMessagesAPI) -> None:
    fake_api.page("big", "a" * 1_200_000, content_type="text/plain")
    result = await http_fetch(f"{fake_api.base_url}/pages/big", LOCAL, max_bytes=1_000_000)  # type: ignore[attr-defined]
    assert result.truncated and len(result.text) <= 1_000_000


@pytest.mark.parametrize("target", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/"])
async def test_a_redirect_to_a_private_or_metadata_address_is_refused(fake_api: FakeMessagesAPI, target: str) -> None:
    fake_api.page("hop", "", status=302, headers={"location": target})
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="refused"):
        await http_fetch(f"{fake_api.base_url}/pages/hop", LOCAL)  # type: ignore[attr-defined]


@pytest.mark.parametrize("target", ["http://127.0.0.2:9/", "http://[::1]:9/", "http://[2002:7f00:2::]:9/"])
async def test_a_redirect_to_other_loopback_addresses_is_refused_when_one_address_is_allowed(
        fake_api: FakeMessagesAPI, target: str) -> None:
    fake_api.page("hop", "", status=302, headers={"location": target})
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="refused"):
        await http_fetch(f"{fake_api.base_url}/pages/hop", LOCAL)  # type: ignore[attr-defined]


@pytest.mark.parametrize("location", ["http://010.010.010.010/", "http://[::1/", "http://a b/", "http://x:99999/"])
async def test_a_malformed_redirect_is_an_error_result_not_a_crash(fake_api: FakeMessagesAPI, location: str) -> None:
    fake_api.page("hop", "", status=302, headers={"location": location})
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="malformed URL|Invalid URL in location header"):
        await http_fetch(f"{fake_api.base_url}/pages/hop", LOCAL)  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", ["http://010.010.010.010/", "http://2130706433/", "http://[::1%25lo]/"])
async def test_malformed_urls_are_refused_before_httpx_sees_them(url: str) -> None:
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="malformed URL"):
        await http_fetch(url, NOTHING)


async def test_an_allowed_name_does_not_open_loopback_even_at_connect_time(fake_api: FakeMessagesAPI) -> None:
    """'localhost' as a name entry opens private networks for that name, never the loopback it resolves to."""
    fake_api.page("a", "<p>secret</p>")
    port = fake_api.base_url.rsplit(":", 1)[1]  # type: ignore[attr-defined]
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="opens only private networks"):
        await http_fetch(f"http://localhost:{port}/pages/a", AllowList.parse(["localhost"]))
    result = await http_fetch(f"http://localhost:{port}/pages/a", AllowList.parse(["localhost", "127.0.0.1"]))
    assert result.text == "secret"


async def test_allowed_redirects_are_followed(fake_api: FakeMessagesAPI) -> None:
    base = fake_api.base_url  # type: ignore[attr-defined]
    fake_api.page("end", "<p>arrived</p>")
    fake_api.page("hop", "", status=301, headers={"location": "/pages/end"})
    result = await http_fetch(f"{base}/pages/hop", LOCAL)
    assert result.text == "arrived" and result.url == f"{base}/pages/end"


async def test_too_many_redirects(fake_api: FakeMessagesAPI) -> None:
    base = fake_api.base_url  # type: ignore[attr-defined]
    fake_api.page("loop", "", status=302, headers={"location": f"{base}/pages/loop"})
    with pytest.raises(FetchRefused, match="redirects"):
        await http_fetch(f"{base}/pages/loop", LOCAL)
