"""Text -> one canonical spelling: lower case, plain punctuation, digits, long forms.

Everything here rewrites a way of saying something into the one way the rules
read: 'tmrw' -> 'tomorrow', 'forty-five' -> '45', 'an hour and a half' -> '90
minutes', 'quarter past 5' -> '5:15', 'each' -> 'every'. No rewrite adds or drops
meaning, so the rules stay few.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scheduler.schedules.phrases.words import CARDINALS, ORDINAL_WORDS, WD, alternation

__all__ = ["normalize"]

_Replacement = str | Callable[[re.Match[str]], str]


def _suffix(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th')}"


def _minutes(match: re.Match[str]) -> str:
    hours = 1 if match["h"] in ("a", "an") else int(match["h"])
    return f"{hours * 60 + int(match['m'] or 30)} minutes"


def _decimal_hours(match: re.Match[str]) -> str:
    minutes = float(match["h"]) * 60
    return f"{int(minutes)} minutes" if minutes.is_integer() else match.group(0)


def _clock(match: re.Match[str]) -> str:
    """'quarter past 5' -> '5:15', '10 minutes to 6pm' -> '5:50pm' (the hour keeps its am/pm)."""
    minutes = {"quarter": 15, "half": 30}.get(match["m"]) or int(match["m"].split()[0])
    hour, meridiem = int(match["h"]), (match["ap"] or "").strip()
    if minutes >= 60:
        return match.group(0)
    if match["dir"] == "past":
        return f"{hour}:{minutes:02d}{meridiem}"
    before = (hour - 2) % 12 + 1 if meridiem else (hour - 1) % 24
    return f"{before}:{60 - minutes:02d}{meridiem}"


def _spelled_clock(match: re.Match[str]) -> str:
    """'at five thirty' -> 'at 5:30', 'at seven oh five' -> 'at 7:05'."""
    return f"at {CARDINALS[_words(match['h'])]}:{CARDINALS[_words(match['m'])]:02d}"


def _words(text: str) -> str:
    return re.sub(r"[\s-]+", " ", text)


def _spelled(words: dict[str, int]) -> str:
    spaced = alternation(words).replace("\\ ", "[\\s-]?")
    return f"(?:{spaced})"


_CARDINAL = _spelled(CARDINALS)
_HOUR_WORD = _spelled({word: n for word, n in CARDINALS.items() if 1 <= n <= 23})
_MINUTE_WORD = _spelled({word: n for word, n in CARDINALS.items() if 10 <= n <= 59})
_ORDINAL = _spelled({word: n for word, n in ORDINAL_WORDS.items() if word != "second"})
_H = r"(?P<h>\d{1,2})(?P<ap>\s*[ap]m)?"

_STEPS: list[tuple[str, _Replacement]] = [
    # punctuation and spelling of times
    (r"[’‘`´]", "'"),
    (r"\b([ap])\.\s?m\b\.?", r"\1m"),
    (r"\b(\d{1,2})\.(\d{2})\s*([ap]m)\b", r"\1:\2\3"),
    (r"\b(\d{4}-\d{1,2}-\d{1,2})t(?=\d)", r"\1 "),
    (r"\bo'?clock\b|\bsharp\b", " "),
    (r"'", ""),
    (r"(?<!\d)\.|\.(?!\d)", " "),
    (r"[,;:!?()\"](?!\d)", " "),
    (r"&", " and "),
    (r"@", " at "),
    (r"\+", " and "),
    (r"\s+", " "),
    # spelled numbers -> digits
    (rf"\bat\s+(?P<h>{_HOUR_WORD})\s+(?:oh\s+)?(?P<m>{_MINUTE_WORD}|one|two|three|four|five|six|seven|eight|nine)\b",
     _spelled_clock),
    (r"\bsecond(?=\s+(?:" + WD + r"|week|weekday|day|of|and)\b)", "2nd"),
    (rf"\b{_ORDINAL}\b", lambda m: _suffix(ORDINAL_WORDS[_words(m.group(0))])),
    (rf"\b{_CARDINAL}\b", lambda m: str(CARDINALS[_words(m.group(0))])),
    (r"\ba\s+dozen\b|\bdozen\b", "12"),
    (r"\ba\s+couple\s+(?:of\s+)?", "2 "),
    # short forms
    (r"\b(?:tmrw|tmrow|tmr|tmw|tomorow|tommorow|tommorrow|tomorrw|2moro|2morrow)\b", "tomorrow"),
    (r"\b(?:tonite|2nite|tonigt)\b", "tonight"),
    (r"\b(?P<lead>in|every|after|for)\s+(?P<h>\d+)\s?h\s?(?P<m>\d{1,2})\s?m?\b",
     lambda m: f"{m['lead']} {_minutes(m)}"),
    (r"\bat\s+(\d{1,2})\s?h\b", r"at \1:00"),
    (r"\b(\d+)\s?(?:hrs?|h)\b", r"\1 hours"),
    (r"\bhrs?\b", "hours"),
    (r"\b(\d+)\s?(?:mins?|m)\b", r"\1 minutes"),
    (r"\bmins?\b", "minutes"),
    (r"\b(\d+)\s?(?:secs?|s)\b", r"\1 seconds"),
    (r"\bsecs?\b", "seconds"),
    (r"\b(\d+)\s?(?:wks?|w)\b", r"\1 weeks"),
    (r"\bwks?\b", "weeks"),
    (r"\b(\d+)\s?d\b", r"\1 days"),
    # clock words: 'quarter past 5', 'half past 5', '20 past 5', 'quarter to 6', '10 minutes to 6'
    (rf"\b(?:a\s+)?(?P<m>quarter|half|\d{{1,2}}(?:\s+minutes?)?)\s+(?P<dir>past)\s+{_H}\b", _clock),
    (rf"\b(?:a\s+)?(?P<m>quarter|\d{{1,2}}\s+minutes?)\s+(?P<dir>to|til)\s+{_H}\b", _clock),
    (rf"(?<=\bat\s)(?P<m>\d{{1,2}})\s+(?P<dir>to|til)\s+{_H}\b", _clock),
    (r"\b(\d{1,2})h(\d{2})\b", r"\1:\2"),
    # durations
    (r"\b(?:a\s+|1\s+)?quarter\s+(?:of\s+)?(?:an?\s+|1\s+)?hours?\b", "15 minutes"),
    (r"\b(?P<h>an?|\d+)\s+hours?\s+and\s+a\s+half\b(?P<m>)", _minutes),
    (r"\bhour\s+and\s+a\s+half\b", "90 minutes"),
    (r"\b(?P<h>an?|\d+)\s+and\s+a\s+half\s+hours?\b(?P<m>)", _minutes),
    (r"\b(?P<h>an?|\d+)\s+hours?\s+(?:and\s+)?(?P<m>\d+)\s+minutes?\b", _minutes),
    (r"\b(?:a\s+|1\s+)?half\s+(?:an?\s+|1\s+)?hours?\b", "30 minutes"),
    (r"\b(?P<h>\d+\.\d+)\s+hours\b", _decimal_hours),
    (r"\b(?P<m>an?|\d+)\s+minutes?\s+(?:and\s+)?(?P<s>\d+)\s+seconds?\b",
     lambda m: f"{(1 if m['m'] in ('a', 'an') else int(m['m'])) * 60 + int(m['s'])} seconds"),
    # one spelling per idea
    (r"\beveryday\b", "every day"),
    (r"\beach\b", "every"),
    (r"\bevery\s+(?:single|1\s+of\s+the)\b", "every"),
    (r"\b(?:on\s+)?(?:a|per)\s+daily\s+basis\b", "daily"),
    (r"\b12\s+(noon|midnight)\b", r"\1"),
    (r"\b(?:the\s+)?day\s+after\s+tomorrow\b", "dayaftertomorrow"),
    (r"\bweek\s+days\b|\bwork\s*days\b|\bbusiness\s+days\b", "weekdays"),
    (r"\bweek\s+day\b|\bwork\s*day\b|\bbusiness\s+day\b", "weekday"),
    (r"\bweekend\s+days\b|\bweek-ends?\b", "weekends"),
    (r"\b(?:this\s+)?coming\b", "next"),
    (r"\s+", " "),
]


_COMPILED = [(re.compile(pattern), replacement) for pattern, replacement in _STEPS]


def normalize(text: str) -> str:
    text = text.lower()
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text.strip()
