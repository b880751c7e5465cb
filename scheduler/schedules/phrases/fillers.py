"""The words people put around a schedule in a chat, and how to read past them.

'could you remind me Thursday at 4pm?' is 'Thursday at 4pm'. Two kinds of words go:
requests and courtesies at either end ('remind me', 'can you', 'please', 'thanks'),
and the task itself ('remind me to call Anna on Friday'). The task is dropped only
where it cannot change the schedule: every dropped word is either outside the
grammar's vocabulary or a bare joining word ('to', 'the', 'at'), and no negation
or qualifier ('not', 'except', 'before', 'around') is ever dropped, so 'not on
Monday' can never become 'on Monday'.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scheduler.schedules.phrases.words import VOCABULARY, WEAK

__all__ = ["readings", "strip_courtesies"]

_SUBJECT = r"(?:me|us|him|her|them|everyone|everybody|the\s+team|my\s+team|all\s+of\s+us)"
_LEADING = re.compile(
    r"^(?:"
    r"(?:hey|hi|hello|ok|okay|so|yo|um|uh|oh|also|and|then|hmm|right|alright|btw)\b"
    r"|(?:please|pls|plz|kindly|pretty\s+please)\b"
    r"|(?:just\s+)?once\b(?!\s+(?:a|per|every|each|daily|weekly|monthly|yearly)\b)"
    r"|(?:can|could|would|will|wud|cud|cn)\s+(?:you|u|ya)\b"
    r"|(?:i\s+)?(?:want|wanna|need|would\s+like|id\s+like|d\s+like)\s+(?:you\s+)?(?:to\s+)?(?:be\s+reminded\b)?"
    r"|(?:dont|do\s+not)\s+(?:let\s+me\s+)?forget\b"
    rf"|(?:remind|ping|notify|alert|tell|message|msg|text|nudge|email|mail|wake|buzz|poke|dm)(?:\s+{_SUBJECT})?"
    r"(?:\s+up)?(?:\s+(?:about|regarding|re)\b(?!\s+\d))?\b"
    r"|(?:set|create|add|schedule|make|put|book|setup)(?:\s+up)?(?:\s+(?:me|us))?(?:\s+(?:a|an|the|my|new))?"
    r"\s+(?:reminder|alarm|alert|job|task|timer|ping|notification)s?(?:\s+for)?\b"
    r"|(?:a\s+)?(?:reminder|alarm|notification)s?(?:\s+for)?\b"
    r")\s*"
)
_TRAILING = re.compile(
    r"\s*\b(?:please|pls|plz|thanks|thank\s+you|thx|ty|cheers|ok|okay|for\s+me|if\s+you\s+(?:can|could|would)"
    r"|if\s+possible)$"
)
# Never part of a schedule, wherever they stand ('schedule a daily reminder at 9').
_NOUNS = re.compile(r"\b(?:reminders?|alarms?|notifications?)\b")
# After 'remind me', these open the task ('to call Anna', 'about the rent', 'that the bus leaves').
_TASK_OPENERS = frozenset({"to", "about", "that", "of", "re", "regarding", "so", "for"})
_BOUNDED = 32  # tokens; a longer text is not a chat schedule, and the loops below stay small


def strip_courtesies(text: str) -> str:
    """Drop requests and courtesies at both ends; what is left may still hold a task."""
    previous = None
    while previous != text:
        previous = text
        text = _LEADING.sub("", text, count=1)
        text = _TRAILING.sub("", text, count=1)
    return " ".join(_NOUNS.sub(" ", text).split())


def readings(text: str) -> Iterator[str]:
    """The text as given, then without a leading and/or trailing task, most of the text first."""
    tokens = text.split()
    yield text
    if not tokens or len(tokens) > _BOUNDED:
        return
    ends = [len(tokens), *_task_tail_starts(tokens)]
    for start in range(len(tokens)):
        if start and not _droppable(tokens, start - 1):
            break
        for end in ends:
            if end > start and (start, end) != (0, len(tokens)):
                yield " ".join(tokens[start:end])


def _task_tail_starts(tokens: list[str]) -> list[int]:
    """Where a trailing task ('... to check the oven') may begin: an opener followed only by droppable words."""
    starts = []
    for index in range(len(tokens) - 1, 0, -1):
        if not _droppable(tokens, index):
            break
        if tokens[index] in _TASK_OPENERS:
            starts.append(index)
    return starts


def _droppable(tokens: list[str], index: int) -> bool:
    word = tokens[index]
    if word in WEAK:
        return True
    if word.isdigit():
        # '2 pills', '3 kids': a number that counts something other than time
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        return bool(following) and following not in VOCABULARY and following not in WEAK
    return word not in VOCABULARY and not any(char.isdigit() for char in word)
