"""Read normalized English: past the chat words, split into day-and-time pairs, then one rule table."""

from __future__ import annotations

import re
from dataclasses import replace

from scheduler.schedules.phrases.context import NOT_UNDERSTOOD, Ctx, Refused, refuse
from scheduler.schedules.phrases.fillers import readings, strip_courtesies
from scheduler.schedules.phrases.one_off import read_one_off
from scheduler.schedules.phrases.recurring import is_recurring, read_recurring
from scheduler.schedules.phrases.times import extract_times
from scheduler.schedules.phrases.words import DAY_LIST
from scheduler.schedules.schedule_math import CRON_MAX_CHARS, CRON_SEPARATOR, validate_cron
from scheduler.schedules.spec import ScheduleSpec
from store.enums import JobType

__all__ = ["read_text"]


def read_text(normalized: str, base: Ctx, drop_task: bool = True) -> ScheduleSpec:
    """The first reading of the text that is a schedule (or is refused for a reason other than not understood).

    Without `drop_task` only the courtesies at either end go ('remind me', 'please');
    with it, a task around the schedule may go too ('to call Anna').
    """
    text = strip_courtesies(normalized)
    for reading in readings(text) if drop_task else [text]:
        try:
            return _read(reading, base)
        except Refused as refusal:
            if refusal.reason != NOT_UNDERSTOOD:
                raise
    refuse(NOT_UNDERSTOOD)


def _read(text: str, base: Ctx) -> ScheduleSpec:
    segments = _pairs(text)
    if len(segments) == 1:
        return _read_one(text, base)
    if not any(is_recurring(segment) for segment in segments):
        refuse("that is several separate moments; create one job for each")
    specs = [_read_one(segment if is_recurring(segment) else f"every {segment}", base) for segment in segments]
    if any(spec.job_type is not JobType.SCHEDULED for spec in specs):
        refuse("each day here needs its own rule; combine only weekly rules with times, or create one job for each")
    cron = CRON_SEPARATOR.join(spec.cron or "" for spec in specs)
    if len(cron) > CRON_MAX_CHARS:
        refuse("too many different days and times for one job; create one job for each")
    return ScheduleSpec(job_type=JobType.SCHEDULED, timezone=base.tz_name, cron=validate_cron(cron))


def _read_one(text: str, base: Ctx) -> ScheduleSpec:
    rest, times = extract_times(text)
    ctx = replace(base, times=times)
    if is_recurring(rest):
        return read_recurring(rest, ctx)
    return read_one_off(rest, ctx)


# 'every Monday at 9 and Wednesday at 10' pairs days with times; 'every Monday and Wednesday
# at 9 and 10' does not (both days at both times). Pairs are days and times that alternate.
_PIECE_RE = re.compile(
    rf"(?P<day>\b(?:(?:every|on)\s+)?(?:{DAY_LIST}))"
    r"|(?P<time>\bat\s+\d+(?::\d+)?(?:\s*[ap]m)?(?:\s+(?:and\s+)?\d+(?::\d+)?(?:\s*[ap]m)?)*(?![\w:])"
    r"|\b\d+:\d+(?:\s*[ap]m)?|\b\d+\s*[ap]m\b|\b(?:at\s+)?(?:noon|midnight)\b"
    r"|\b(?:in\s+the\s+)?(?:morning|afternoon|evening|night)s?\b)"
)


def _pairs(text: str) -> list[str]:
    pieces: list[tuple[str, int]] = []
    for match in _PIECE_RE.finditer(text):
        kind = "day" if match["day"] else "time"
        if pieces and pieces[-1][0] == kind:
            continue
        pieces.append((kind, match.start()))
    if len(pieces) < 4 or len(pieces) % 2:
        return [text]
    starts = [0] + [start for _, start in pieces[2::2]]
    segments = [text[begin:end] for begin, end in zip(starts, [*starts[1:], len(text)], strict=True)]
    return [re.sub(r"^(?:and|also|plus)\s+|\s+(?:and|also|plus)$", "", segment.strip()) for segment in segments]
