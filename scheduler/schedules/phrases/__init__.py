"""Plain-words schedules -> the explicit ScheduleSpec (meaning fixed in docs/schedule-conventions.md).

A small grammar of our own, not a general date parser: every phrase it accepts has
one documented meaning, and anything else is refused with a reason and examples.

- normalize.py: one spelling per idea (case, punctuation, '5pm tomorrow', 'tmrw', 'forty', 'half an hour');
- fillers.py: the chat words around a schedule ('could you remind me ... please?'), and the task;
- times.py: times of day and ranges, taken out of the text;
- one_off.py, recurring.py: the rules, on what is left; cron_text.py writes cron lines;
- foreign.py: German, French, Spanish, Italian, Portuguese and Dutch, put into English words
  with dateparser's language data, tried when the English reading finds no schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler.schedules.phrases.context import DEFAULT_TIME, NOT_UNDERSTOOD, Ctx, Refused, Times, refuse
from scheduler.schedules.phrases.foreign import to_english
from scheduler.schedules.phrases.normalize import normalize
from scheduler.schedules.phrases.reader import read_text
from scheduler.schedules.spec import ScheduleSpec
from scheduler.schedules.timezones import zone
from store.errors import InvalidArgument

__all__ = ["DEFAULT_TIME", "EXAMPLES", "NOT_UNDERSTOOD", "parse_schedule"]

EXAMPLES = "a schedule such as 'every Monday at 9am', 'tomorrow at 17:00', 'in 90 minutes' or 'every 15 minutes'"
MAX_TEXT_CHARS = 200


def parse_schedule(text: str, timezone: str, now: datetime) -> ScheduleSpec:
    """Plain words -> ONE_OFF (run_at), SCHEDULED (cron in `timezone`) or RECURRING (interval + anchor_at).

    `now` is aware (any zone; read as an instant); `timezone` a validated IANA name.
    Raises InvalidArgument('schedule', EXAMPLES, text, reason=...) when the text is
    not a schedule, names an impossible date or time, a zero interval, or a past moment.
    """
    if now.tzinfo is None:
        raise ValueError("parse_schedule needs an aware `now`")
    try:
        return _parse(text or "", Ctx(tz_name=timezone, tz=zone(timezone), now=now.astimezone(UTC), times=Times()))
    except Refused as refusal:
        raise InvalidArgument("schedule", EXAMPLES, text, reason=refusal.reason) from None


def _parse(text: str, base: Ctx) -> ScheduleSpec:
    """English as written; else another language, translated; else English past the words around a task.

    The order matters: a word of another language is not in the English vocabulary,
    so reading past a task would drop it ('tous les jours à 8h30' is not '8:30').
    """
    if len(text) > MAX_TEXT_CHARS:
        refuse(f"a schedule of at most {MAX_TEXT_CHARS} characters")
    normalized = normalize(text)
    try:
        return read_text(normalized, base, drop_task=False)
    except Refused as refusal:
        if refusal.reason != NOT_UNDERSTOOD:
            raise
    english = to_english(text)
    if english is not None:
        try:
            return read_text(normalize(english), base)
        except Refused as refusal:
            if refusal.reason != NOT_UNDERSTOOD:
                raise
    return read_text(normalized, base)
