"""http_fetch refuses the server's own network (after DNS, on every redirect) unless allowed."""

from __future__ import annotations

import ipaddress

import anyio
import pytest

from scheduler.llm.fetch import http_fetch
from scheduler.net_guard import AllowList, FetchRefused, check_url, forbidden_reason
from tests.support.fake_anthropic import FakeMessagesAPI

NOTHING = AllowList()
LOCAL = AllowList.parse(["127.0.0.1"])


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://127.8.9.10:8080/x", "http://10.0.0.1/", "http://192.168.1.1/", "http://172.16.0.5/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
    "http://100.100.100.200/", "http://[fd00:ec2::254]/", "http://224.0.0.1/", "http://localhost/",
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


def test_public_addresses_pass_and_the_reasons_are_named() -> None:
    assert forbidden_reason(ipaddress.ip_address("93.184.215.14")) is None
    assert forbidden_reason(ipaddress.ip_address("2606:4700::1111")) is None
    assert forbidden_reason(ipaddress.ip_address("169.254.169.254")) == "link-local (cloud metadata)"
    assert forbidden_reason(ipaddress.ip_address("10.0.0.1")) == "private"


def test_allow_list_takes_hosts_addresses_and_networks() -> None:
    allow = AllowList.parse(["intranet.example", "10.1.0.0/16", " 127.0.0.1 ", "[::1]"])
    assert allow.permits_host("INTRANET.example.")
    assert allow.permits_address(ipaddress.ip_address("10.1.2.3"))
    assert not allow.permits_address(ipaddress.ip_address("10.2.0.1"))
    assert allow.permits_address(ipaddress.ip_address("::1"))
    with pytest.raises(ValueError, match="not a host"):
        AllowList.parse(["10.0.0.0/99"])


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


@pytest.mark.parametrize("target", ["http://127.0.0.2:9/", "http://localhost:9/"])
async def test_a_redirect_to_loopback_is_refused_when_only_the_first_host_is_allowed(
        fake_api: FakeMessagesAPI, target: str) -> None:
    # The allow-list names the host 127.0.0.1 only, not the loopback network.
    fake_api.page("hop", "", status=302, headers={"location": target})
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="refused"):
        await http_fetch(f"{fake_api.base_url}/pages/hop", AllowList(hosts=frozenset({"127.0.0.1"})))  # type: ignore[attr-defined]


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
