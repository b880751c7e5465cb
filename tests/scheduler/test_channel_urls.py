"""Channel URLs: masking over many schemes (no secret survives, the parts that tell channels apart do),
scrubbing of texts, and the checks a URL passes when it is given."""

from __future__ import annotations

import pytest

from scheduler.channel_urls import check_channels, mask, scrub, secrets_of, supported_schemes
from scheduler.net_guard import AllowList
from store.errors import InvalidArgument

LOOPBACK = AllowList.parse(["127.0.0.1"])

# url, its masked form, the secrets in it
CASES = [
    ("tgram://123456789:ABCdefGhIJKlmnoPQRsT/123456", "tgram://****/123456", ["ABCdefGhIJKlmnoPQRsT"]),
    ("tgram://123456789:ABCdefGhIJKlmnoPQRsT/-1001234567890", "tgram://****/-1001234567890",
     ["ABCdefGhIJKlmnoPQRsT"]),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", "slack://****/****/****/#general",
     ["T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"]),
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord://4174216298/****",
     ["JHMHI8qBe7bk2ZwO5U711o3dV_js"]),
    ("mailto://alice:hunter2pass@example.com?smtp=127.0.0.1&to=bob@example.org",
     "mailto://alice:****@example.com?smtp=127.0.0.1&to=bob@example.org", ["hunter2pass"]),
    ("json://user:s3cretpass@127.0.0.1:8080/hook", "json://user:****@127.0.0.1:8080/hook", ["s3cretpass"]),
    ("mqtt://jobs:brokerpass@127.0.0.1:1883/jobs/reminders", "mqtt://jobs:****@127.0.0.1:1883/jobs/reminders",
     ["brokerpass"]),
    ("ntfy://ntfy.example.com/alerts?token=tk_AbCdEf0123456789", "ntfy://ntfy.example.com/alerts?token=****",
     ["tk_AbCdEf0123456789"]),
    ("gotify://gotify.example.com/AcTxTg0tify9", "gotify://gotify.example.com/****", ["AcTxTg0tify9"]),
    ("matrix://bot:matrixpass@matrix.example.org/#room", "matrix://bot:****@matrix.example.org/#room", ["matrixpass"]),
    ("pbul://o.gn5kj6nfhv736I7jC3cj3QLRiyhgl98b", "pbul://****", ["gn5kj6nfhv736I7jC3cj3QLRiyhgl98b"]),
    ("pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@avMWxZYBzrb5sJbCmXwkJhnxx6S5W2", "pover://****@****",
     ["uQiRzpo4DXghDmr9QzzfQu27cmVRsG", "avMWxZYBzrb5sJbCmXwkJhnxx6S5W2"]),
    ("workflows://prod-01.westus.logic.azure.com:443/abc123def456/signature?signature=Zx9yW8vU7tS6rQ5p",
     "workflows://prod-01.westus.logic.azure.com:443/****/signature?signature=****",
     ["abc123def456", "Zx9yW8vU7tS6rQ5p"]),
    ("twilio://ACabcdef0123456789:authTokenValue99@+15551234567/+15557654321",
     "twilio://****:****@+15551234567/+15557654321", ["ACabcdef0123456789", "authTokenValue99"]),
    ("opsgenie://apikeyABC123def456/@user", "opsgenie://****/@user", ["apikeyABC123def456"]),
    ("not a url at all", "****", ["not a url at all"]),
]


@pytest.mark.parametrize(("url", "masked", "secrets"), CASES, ids=[c[0].split(":")[0] + str(i)
                                                                   for i, c in enumerate(CASES)])
def test_mask_hides_every_secret_and_keeps_what_tells_channels_apart(url: str, masked: str,
                                                                      secrets: list[str]) -> None:
    assert mask(url) == masked
    for secret in secrets:
        assert secret not in mask(url)


@pytest.mark.parametrize(("url", "masked", "secrets"), CASES)
def test_scrub_removes_the_secrets_from_any_text(url: str, masked: str, secrets: list[str]) -> None:
    text = f"failed to send to {url}; token {' and '.join(secrets)} refused"
    scrubbed = scrub(text, [url])
    for secret in secrets:
        assert secret not in scrubbed
        assert any(secret in found for found in secrets_of(url))


def test_every_issue_scheme_but_retired_ones_is_supported() -> None:
    assert {"slack", "tgram", "discord", "mailto", "ntfy", "gotify", "matrix", "mqtt", "json"} <= supported_schemes()
    assert "gnome" not in supported_schemes()  # a desktop notification would act on the server itself


def test_an_unknown_scheme_names_the_channel_and_the_supported_ones() -> None:
    with pytest.raises(InvalidArgument) as caught:
        check_channels("channels", ["json://127.0.0.1/x", "bogus://tok3nS3cretValue/abc"], LOOPBACK)
    message = str(caught.value)
    assert message.startswith("channels[1]: unknown scheme")
    assert "tgram://" in message and "mqtt://" in message
    assert "tok3nS3cretValue" not in message


def test_a_malformed_url_is_refused_without_its_secret() -> None:
    with pytest.raises(InvalidArgument) as caught:
        check_channels("channels", ["tgram://notatoken"], LOOPBACK)
    assert str(caught.value).startswith("channels[0]: malformed URL")


def test_a_private_target_needs_the_allow_list_and_a_cloud_one_names_no_host() -> None:
    url = "json://user:s3cretpass@10.1.2.3:8080/hook"
    with pytest.raises(InvalidArgument) as caught:
        check_channels("channels", [url], LOOPBACK)
    assert "JOBS_MCP_FETCH_ALLOW" in str(caught.value) and "s3cretpass" not in str(caught.value)
    assert check_channels("channels", [url], AllowList.parse(["10.0.0.0/8"])) == [url]
    with pytest.raises(InvalidArgument):  # an integer form of 127.0.0.1 is refused, not resolved
        check_channels("channels", ["json://2130706433:8080/hook"], LOOPBACK)
    assert check_channels("channels", ["tgram://123456789:ABCdefGhIJKlmnoPQRsT/123456"], AllowList())
