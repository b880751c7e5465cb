"""The SSRF guard: embedded IPv4 forms, odd URL forms, and what each kind of allow-list entry opens."""

from __future__ import annotations

import ipaddress
import re

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.net_guard import (
    AllowList,
    FetchRefused,
    check_addresses,
    check_url,
    check_url_blocking,
    forbidden_reason,
    parse_target,
)

NOTHING = AllowList()


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


# -- addresses ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "carried"), [
    ("2002:7f00:1::", "127.0.0.1"),                           # 6to4
    ("2002:a9fe:a9fe::1", "169.254.169.254"),                 # 6to4 of the metadata address
    ("::ffff:127.0.0.1", "127.0.0.1"),                        # IPv4-mapped
    ("::127.0.0.1", "127.0.0.1"),                             # IPv4-compatible (deprecated)
    ("::ffff:0:10.0.0.1", "10.0.0.1"),                        # IPv4-translated (SIIT)
    ("64:ff9b::7f00:1", "127.0.0.1"),                         # NAT64, well-known prefix
    ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
    ("64:ff9b:1:7f00:0:100::", "127.0.0.1"),                  # NAT64, local-use prefix (/48 layout)
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),    # Teredo, client 127.0.0.1 (stored inverted)
])
def test_an_ipv6_address_is_judged_by_the_ipv4_address_it_carries(address: str, carried: str) -> None:
    reason = forbidden_reason(ip(address))
    assert reason is not None and f"carries {carried}," in reason
    with pytest.raises(FetchRefused, match=re.escape(f"resolves to {ip(address)}, an address that carries {carried},")):
        check_addresses("h.example", [ip(address)], NOTHING)


def test_local_use_nat64_is_refused_if_any_reading_of_it_carries_a_forbidden_address() -> None:
    """64:ff9b:1::/48's layout is the operator's choice (RFC 6052 /48 to /96): every reading is checked."""
    assert forbidden_reason(ip("64:ff9b:1::a00:1")) is not None  # 10.0.0.1 under the /96 layout
    assert forbidden_reason(ip("64:ff9b:1:808:8:808:808:808")) is None  # 8.8.8.8 under every layout


@pytest.mark.parametrize("address", ["2002:808:808::1", "64:ff9b::808:808", "::ffff:8.8.8.8", "93.184.215.14",
                                     "2606:4700::1111"])
def test_public_addresses_and_forms_carrying_a_public_ipv4_pass(address: str) -> None:
    assert forbidden_reason(ip(address)) is None


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "a loopback address"), ("::1", "a loopback address"), ("0.0.0.0", "an unspecified address"),
    ("0.1.2.3", "an unspecified address"), ("169.254.169.254", "a cloud metadata address"),
    ("fd00:ec2::254", "a cloud metadata address"), ("100.100.100.200", "a cloud metadata address"),
    ("168.63.129.16", "a cloud metadata address"), ("169.254.1.1", "a link-local address"),
    ("fe80::1", "a link-local address"), ("224.0.0.1", "a multicast address"),
    ("100.64.1.1", "a shared (carrier-grade NAT) address"), ("10.0.0.1", "a private address"),
    ("fd12::1", "a private address"),
])
def test_each_forbidden_kind_is_named(address: str, reason: str) -> None:
    assert forbidden_reason(ip(address)) == reason


async def test_the_6to4_form_of_loopback_is_refused_for_fetches_and_webhooks() -> None:
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="carries 127.0.0.1, a loopback address"):
        await check_url("http://[2002:7f00:1::]/", NOTHING)
    with pytest.raises(FetchRefused, match="carries 127.0.0.1"):
        check_url_blocking("https://[64:ff9b::7f00:1]:8443/hook", NOTHING)


# -- URL forms ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "why"), [
    ("http://010.010.010.010/", "malformed URL"),            # octal: 8.8.8.8 for glibc, invalid for httpx
    ("http://0x7f.1/", "octal, hex and integer forms"),
    ("http://2130706433/", "octal, hex and integer forms"),   # 127.0.0.1 as one integer
    ("http://0x08.0x08.0x08.0x08/", "octal, hex and integer forms"),
    ("http://127.1/", "octal, hex and integer forms"),
    ("http://127.0.0.1./", "octal, hex and integer forms"),
    ("http://127.0.0.1 /", "whitespace"), (" http://example.com/", "whitespace"),
    ("http://exa\tmple.com/", "whitespace"), ("http://example.com/\n", "whitespace"),
    ("http://a b/", "whitespace"), ("http://exa\x00mple.com/", "control characters"),
    ("http://127.0.0.1\\@example.com/", "backslash"), ("http://example.com\\@127.0.0.1/", "backslash"),
    ("http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/", "malformed URL"),  # circled 'localhost'
    ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "malformed URL"),  # full-width 127.0.0.1
    ("http://[::1%25eth0]/", "zone id"), ("http://ex%41mple.com/", "escape"),
    ("http://127.0.0.1:99999/", "port 99999 is not from 1 to 65535"),
    ("http://example.com:0/", "port 0"), ("http:///x", "no host"), ("http://[::1/", "malformed URL"),
    ("javascript:alert(1)", "only http and https"), ("//example.com/", "only http and https"),
])
async def test_odd_url_forms_are_refused_with_a_reason(url: str, why: str) -> None:
    with anyio.fail_after(10), pytest.raises(FetchRefused, match=why):
        await check_url(url, NOTHING)
    with pytest.raises(FetchRefused, match=why):
        check_url_blocking(url, NOTHING)


@pytest.mark.parametrize("url", ["http://user:pw@127.0.0.1/", "http://example.com@127.0.0.1/",
                                 "http://example.com:80@[::1]/", "HTTP://LOCALHOST/", "http://127.0.0.1#@example.com/",
                                 "http://127.0.0.1?@example.com/"])
async def test_user_info_and_case_do_not_hide_the_host(url: str) -> None:
    with anyio.fail_after(10), pytest.raises(FetchRefused, match="a loopback address"):
        await check_url(url, NOTHING)


def test_idna_names_are_checked_in_the_form_that_is_resolved() -> None:
    assert parse_target("http://B\u00fccher.Example/x").host == "xn--bcher-kva.example"
    assert parse_target("HTTPS://[::FFFF:7F00:1]:8443/").host == "::ffff:7f00:1"
    assert parse_target("https://example.com/").port == 443


_URL_PIECES = st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "", "//", "http:", "[", "]", "@", ":",
                               "%", "%00", "%2e", "\\", "/", ".", "0x", "0", "7f", "127", "::", "ffff", "localhost",
                               "\u24db", "\uff11", "xn--", "-", "_", "#", "?", " ", "\t", "99999", "1", "a", "\u00fc"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_URL_PIECES, max_size=12).map("".join) | st.text(max_size=40).map(lambda t: "http://" + t))
def test_any_string_is_refused_cleanly_or_parsed_as_httpx_sends_it(url: str) -> None:
    """Nothing passes the check that httpx would read differently or refuse later (the InvalidURL escape)."""
    try:
        target = parse_target(url)
    except FetchRefused:
        return
    request = httpx.Request("GET", url)
    assert request.url.raw_host.decode("ascii").lower() == target.host
    assert request.url.scheme == target.scheme


# -- the allow-list -------------------------------------------------------------------------------------------

def test_entries_are_names_addresses_or_networks() -> None:
    allow = AllowList.parse(["intranet.example", "10.1.0.0/16", " 127.0.0.1 ", "[::1]", "B\u00fccher.example."])
    assert allow.hosts == {"intranet.example", "xn--bcher-kva.example"}
    assert allow.permits_host("INTRANET.example.")
    assert allow.permits_address(ip("10.1.2.3")) and not allow.permits_address(ip("10.2.0.1"))
    assert allow.permits_address(ip("::1"))
    assert allow.permits_address(ip("::ffff:127.0.0.1"))  # the IPv4 address it carries is listed


@pytest.mark.parametrize(("entry", "message"), [
    ("*", "wildcards are not supported"), ("*.example.com", "wildcards are not supported"),
    ("http://intranet.example", "not a host name"), ("intranet.example:8080", "not a host name"),
    ("intranet.example/x", "not a host name"), ("10.0.0.0/99", "not a host name, an address or a CIDR network"),
    ("10.1.2.3/8", "host bits set; write the network as 10.0.0.0/8"), ("010.010.010.010", "non-standard form"),
    ("2130706433", "non-standard form"), ("a b", "not a host name"), ("exa..mple.com", "not a valid host name"),
    ("-bad.example", "not a valid host name"), ("user@host", "not a host name"), ("fe80::1%eth0", "zone ids"),
])
def test_wildcards_and_garbage_are_refused_when_the_list_is_read(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AllowList.parse(["ok.example", entry])


NAMED = AllowList.parse(["intranet.example"])


@pytest.mark.parametrize("address", ["10.0.0.5", "172.20.1.1", "192.168.1.10", "100.64.0.7", "fd12:3456::1",
                                     "64:ff9b::a00:5", "93.184.215.14"])
def test_a_name_entry_opens_that_name_onto_private_networks(address: str) -> None:
    assert check_addresses("intranet.example", [ip(address)], NAMED) == [ip(address)]
    assert check_addresses("INTRANET.example.", [ip(address)], NAMED) == [ip(address)]


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "169.254.169.254", "100.100.100.200", "fd00:ec2::254",
                                     "169.254.10.1", "0.0.0.0", "2002:7f00:1::", "::ffff:127.0.0.1", "224.0.0.1"])
def test_a_name_entry_never_opens_loopback_metadata_or_special_addresses(address: str) -> None:
    """So an allowed name rebound (or pointed) at loopback or the metadata service is still refused."""
    with pytest.raises(FetchRefused, match="a host name in JOBS_MCP_FETCH_ALLOW opens only private networks"):
        check_addresses("intranet.example", [ip("10.0.0.5"), ip(address)], NAMED)


def test_a_name_entry_opens_nothing_for_other_names() -> None:
    with pytest.raises(FetchRefused, match=r"a private address \(allow it with JOBS_MCP_FETCH_ALLOW\)"):
        check_addresses("other.example", [ip("10.0.0.5")], NAMED)


def test_an_address_entry_opens_that_address_for_any_name() -> None:
    allow = AllowList.parse(["127.0.0.1", "169.254.169.254/32"])
    assert check_addresses("anything.example", [ip("127.0.0.1")], allow)
    assert check_addresses("metadata", [ip("169.254.169.254")], allow)
    with pytest.raises(FetchRefused, match="127.0.0.2"):
        check_addresses("anything.example", [ip("127.0.0.1"), ip("127.0.0.2")], allow)
