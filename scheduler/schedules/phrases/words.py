"""The English words the grammar knows, and the regex pieces built from them."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import time

PERIODS = {
    "morning": time(9), "afternoon": time(15), "evening": time(18), "night": time(20), "tonight": time(20),
}  # fmt: skip
NAMED_TIMES = {"noon": time(12), "midday": time(12), "midnight": time(0)}
WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "weds": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS |= {name[:3]: number for name, number in list(MONTHS.items())} | {"sept": 9}
HOLIDAYS = {
    "new years day": (1, 1), "new years": (1, 1), "new years eve": (12, 31),
    "christmas eve": (12, 24), "christmas day": (12, 25), "christmas": (12, 25),
}  # fmt: skip
# Spelled numbers up to sixty become digits while normalizing; 'a', 'an' and 'other' stay words.
_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60}
CARDINALS = {word: number for number, word in enumerate(_UNITS)} | _TENS
for _ten_word, _ten in _TENS.items():
    if _ten < 60:
        CARDINALS |= {f"{_ten_word} {unit}": _ten + n for n, unit in enumerate(_UNITS[1:10], start=1)}
_ORDINAL_UNITS = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
]  # fmt: skip
ORDINAL_WORDS = {word: number for number, word in enumerate(_ORDINAL_UNITS, start=1)}
ORDINAL_WORDS |= {"twentieth": 20, "thirtieth": 30}
ORDINAL_WORDS |= {f"twenty {word}": 20 + n for word, n in list(ORDINAL_WORDS.items()) if n < 10}
ORDINAL_WORDS |= {"thirty first": 31}
NUMBER_WORDS = {"a": 1, "an": 1, "other": 2, "alternate": 2}
UNIT_SECONDS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600}
UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14}
TIMES_A_DAY = {"once": 1, "twice": 2, "thrice": 3}


def alternation(words: Iterable[object]) -> str:
    """A regex alternation of the words, longest first so 'thurs' wins over 'thu'."""
    return "|".join(sorted((re.escape(str(word)) for word in words), key=len, reverse=True))


WD = rf"(?:{alternation(WEEKDAYS)})"
MONTH = rf"(?:{alternation(MONTHS)})"
NUM = rf"(?:\d+|{alternation(NUMBER_WORDS)})"
ORD = r"(?:\d+(?:st|nd|rd|th)?)"
UNIT = r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|fortnights?|months?|years?)(?!\w)"
# One item of a list of days: 'monday', 'mondays', 'mon-fri', 'monday to friday', 'weekdays', 'weekend'.
DAY_ITEM = rf"(?:{WD}s?\s*(?:-|to|through|thru|till|until)\s*{WD}s?|{WD}s?|weekdays?|weekends?)(?!\w)"
DAY_LIST = rf"{DAY_ITEM}(?:\s+(?:and\s+|or\s+|nor\s+)?(?:on\s+)?{DAY_ITEM})*"

# Words that carry schedule meaning. A word outside this set (and outside WEAK) is never
# part of a schedule, so it may be dropped when it stands before or after one ('remind me
# to call Anna on Friday'); see fillers.py.
VOCABULARY = frozenset(
    set(WEEKDAYS) | {f"{day}s" for day in WEEKDAYS if len(day) > 3} | set(MONTHS) | set(PERIODS) | set(NAMED_TIMES)
    | set(UNIT_SECONDS) | set(UNIT_DAYS) | {f"{unit}s" for unit in (*UNIT_SECONDS, *UNIT_DAYS)} | set(TIMES_A_DAY)
    | set(NUMBER_WORDS) - {"a", "an"} | set(CARDINALS) | {word for name in HOLIDAYS for word in name.split()}
    | {"month", "months", "year", "years", "quarter", "quarterly", "weekday", "weekdays", "weekend", "weekends",
       "every", "daily", "hourly", "weekly", "fortnightly", "biweekly", "monthly", "yearly", "annually", "times",
       "today", "tomorrow", "tonight", "yesterday", "dayaftertomorrow", "now", "next", "this", "last", "ago",
       "from", "between", "until", "till", "through", "thru", "except", "excluding", "but", "not", "no", "never",
       "before", "after", "by", "around", "about", "within", "later", "am", "pm", "hour", "half", "past",
       "per", "once", "twice", "thrice", "first", "end", "start", "only", "unless", "dont",
       "skip", "stop", "cancel", "without", "instead", "approximately", "roughly", "sometime", "ish", "early",
       "late", "latest", "earliest", "coming", "same", "fortnight"}
)
# Words that join a schedule to the text around it and change nothing when dropped.
WEAK = frozenset({"the", "a", "an", "to", "in", "at", "on", "of", "for", "and", "my", "me", "us", "our", "your",
                  "up", "with", "it", "some", "that", "his", "her", "their", "i", "we", "you", "is", "be"})
