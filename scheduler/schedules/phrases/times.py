"""Times of day: found, read and taken out of the text, so the rules only see days and rhythms.

A bare hour is on the 24-hour clock ('at 18' = 18:00, 'Fridays at 8' = 08:00),
except in the evening: after 'tonight' or 'this evening' 1 to 11 mean pm, and a
phrase about the afternoon, evening or night reads its hours the same way
('every night at 10' = 22:00).
"""

from __future__ import annotations

import re
from datetime import time

from scheduler.schedules.phrases.context import Times, refuse
from scheduler.schedules.phrases.words import NAMED_TIMES, PERIODS, alternation

__all__ = ["extract_times"]

_PERIOD_RE = re.compile(
    r"\b(?P<lead>this\s+|in\s+the\s+|at\s+)?(?P<period>morning|afternoon|evening|tonight|night)s?\b"
)
_NAMED_RE = re.compile(rf"\b(?:at\s+)?(?P<name>{alternation(NAMED_TIMES)})\b")
_T = r"\d+(?::\d+)?(?:\s*[ap]m\b)?"
_AT_LIST_RE = re.compile(rf"\bat\s+(?P<list>{_T}(?:\s+(?:and\s+)?{_T})*)(?![\w:/.-])")
_LOOSE_TIME_RE = re.compile(r"(?<![\w:/.-])(?P<list>\d+:\d+(?:\s*[ap]m\b)?|\d+\s*[ap]m\b)(?![\w:/.-])")
_TOKEN_RE = re.compile(r"(?P<h>\d+)(?::(?P<m>\d+))?\s*(?P<ap>[ap]m)?")
# A time that cannot be a count or a date: it has a colon, am/pm, or is noon/midnight.
_CLEAR_T = rf"(?:\d{{1,2}}:\d{{2}}(?:\s*[ap]m\b)?|\d{{1,2}}\s*[ap]m\b|{alternation(NAMED_TIMES)})"
_ANY_T = rf"(?:{_CLEAR_T}|\d{{1,2}}(?![\w:/]))"
_SPAN_RE = re.compile(
    rf"\b(?:from|between)\s+(?P<a>{_ANY_T})\s*(?:to|and|until|till|through|thru|-)\s*(?P<b>{_ANY_T})"
    rf"|(?<![\w:])(?P<c>{_CLEAR_T})\s*(?:-|to|until|till)\s*(?P<d>{_CLEAR_T})"
)
_MARK = "\x00"
_MARK_RE = re.compile(rf"(?:\band\s+)?{_MARK}(?:\s+and\b)?")


def extract_times(text: str) -> tuple[str, Times]:
    """Take every time of day out of the text: (what is left, the times)."""
    periods: list[tuple[str, bool]] = []

    def take_period(match: re.Match[str]) -> str:
        periods.append((match["period"], bool(match["lead"] and match["lead"].startswith("this"))))
        if match["period"] == "tonight":
            return " tonight "
        return " today " if periods[-1][1] else f" {_MARK} "

    text = _PERIOD_RE.sub(take_period, text)
    hint = _evening_hint(periods)
    explicit: list[time] = []
    spans: list[tuple[time, time]] = []

    def take_span(match: re.Match[str]) -> str:
        first, last = match["a"] or match["c"], match["b"] or match["d"]
        start, end = _clock(first, hint), _clock(last, hint)
        if end < start and not (_is_clear(first) and _is_clear(last)):
            refuse(f"'{first} to {last}' is ambiguous: write e.g. '9am to 5pm' or '09:00 to 17:00'")
        spans.append((start, end))
        return f" {_MARK} "

    def take_named(match: re.Match[str]) -> str:
        explicit.append(NAMED_TIMES[match["name"]])
        return f" {_MARK} "

    def take_list(match: re.Match[str]) -> str:
        explicit.extend(_time_of(token.group(0), hint) for token in _TOKEN_RE.finditer(match["list"]))
        return f" {_MARK} "

    text = _SPAN_RE.sub(take_span, text)
    text = _NAMED_RE.sub(take_named, text)
    text = _AT_LIST_RE.sub(take_list, text)
    text = _LOOSE_TIME_RE.sub(take_list, text)
    if len(spans) > 1:
        refuse("give one time range, e.g. 'every hour from 8am to 6pm'")
    rest = " ".join(_MARK_RE.sub(" ", text).split())
    times = Times(
        explicit=tuple(explicit),
        periods=tuple(PERIODS[name] for name, _ in periods),
        tonight=any(name == "tonight" for name, _ in periods),
        span=spans[0] if spans else None,
    )
    return rest, times


def _evening_hint(periods: list[tuple[str, bool]]) -> str | None:
    if len(periods) != 1:
        return None
    name, this = periods[0]
    return "tonight" if name == "tonight" or (name == "evening" and this) else name


def _is_clear(token: str) -> bool:
    return re.fullmatch(_CLEAR_T, token.strip()) is not None


def _clock(token: str, hint: str | None) -> time:
    return NAMED_TIMES[token] if token in NAMED_TIMES else _time_of(token, hint)


def _time_of(token: str, hint: str | None) -> time:
    """'9', '9am', '9:30 pm', '21:00' -> a time; an impossible time is refused."""
    token = token.strip()
    match = _TOKEN_RE.fullmatch(token)
    if match is None:  # pragma: no cover - tokens come from _TOKEN_RE itself
        refuse(f"{token} is not a valid time")
    hour, minute_text, meridiem = int(match["h"]), match["m"], match["ap"]
    minute = int(minute_text) if minute_text is not None else 0
    if (minute_text is not None and len(minute_text) != 2) or minute > 59:
        refuse(f"{token} is not a valid time")
    if meridiem:
        if not 1 <= hour <= 12:
            refuse(f"{token} is not a valid time")
        return time(hour % 12 + (12 if meridiem == "pm" else 0), minute)
    if hour > 23:
        refuse(f"{token} is not a valid time")
    return time(_evening_hour(hour, hint), minute)


def _evening_hour(hour: int, hint: str | None) -> int:
    """'tonight at 10' and 'this evening at 7' are pm; so is 'every night at 10', not 'every morning at 7'."""
    if hint == "tonight":
        return hour + 12 if 1 <= hour <= 11 else 0 if hour == 12 else hour
    if hint in ("afternoon", "evening") and 1 <= hour <= 11:
        return hour + 12
    if hint == "night" and 5 <= hour <= 11:
        return hour + 12
    return hour
