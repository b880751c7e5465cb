"""Chat phrasings: words around the schedule are ignored; text with no schedule stays an error."""

from __future__ import annotations

import pytest

from scheduler.schedules.phrases.fillers import readings, strip_courtesies
from tests.scheduler.schedules.phrases.table import ONE, REC, SCH, Row, check, refusal, row_id

ROWS = [
    Row("please remind me Friday at 5pm", ONE, "", ["2027-06-11T17:00:00+02:00"]),
    Row("Could you ping me on Tuesday at 08:15?", ONE, "", ["2027-06-15T08:15:00+02:00"]),
    Row("REMIND ME TOMORROW AT 7.", ONE, "", ["2027-06-10T07:00:00+02:00"]),
    Row("hey, would you set a reminder for Sunday 6pm, thanks", ONE, "", ["2027-06-13T18:00:00+02:00"]),
    Row("can you remind us every Monday at 10am please", SCH, "cron 0 10 * * 1",
        ["2027-06-14T10:00:00+02:00", "2027-06-21T10:00:00+02:00"]),
    Row("i'd like a reminder in 40 minutes", ONE, "", ["2027-06-09T15:00:05+02:00"]),
    Row("just once, on Friday at noon", ONE, "", ["2027-06-11T12:00:00+02:00"]),
    Row("Notify me every 2 hours.", REC, "seconds 7200", ["2027-06-09T16:20:05+02:00", "2027-06-09T18:20:05+02:00"]),
    # the task around the schedule goes too
    Row("remind me to call Anna on Friday at 3pm", ONE, "", ["2027-06-11T15:00:00+02:00"]),
    Row("remind me in 45 minutes to take the pizza out", ONE, "", ["2027-06-09T15:05:05+02:00"]),
    Row("remind me to water the plants every day at 8", SCH, "cron 0 8 * * *",
        ["2027-06-10T08:00:00+02:00", "2027-06-11T08:00:00+02:00"]),
    Row("ping me about the rent on the 1st of every month", SCH, "cron 0 9 1 * *",
        ["2027-07-01T09:00:00+02:00", "2027-08-01T09:00:00+02:00"]),
    Row("remind me to take 2 pills every 8 hours", REC, "seconds 28800", ["2027-06-09T22:20:05+02:00"]),
    Row("schedule a weekly reminder on Thursdays at 17:45", SCH, "cron 45 17 * * 4",
        ["2027-06-10T17:45:00+02:00", "2027-06-17T17:45:00+02:00"]),
]


@pytest.mark.parametrize("row", ROWS, ids=[row_id(row) for row in ROWS])
def test_words_around_the_schedule_are_ignored(row: Row) -> None:
    check(row)


@pytest.mark.parametrize("phrase", [
    "remind me at some point", "ping me whenever", "please remind me", "could you remind me later on?",
    "remind me to call Anna", "set a reminder", "remind me sometime next month maybe",
])
def test_text_without_a_schedule_stays_an_error(phrase: str) -> None:
    assert refusal(phrase) == "no schedule recognised in this text"


@pytest.mark.parametrize("phrase", [
    "remind me not on Monday", "ping me never on Sundays", "remind me before Friday", "remind me around 5pm-ish",
    "remind me until Thursday",
])
def test_negations_and_qualifiers_are_never_dropped(phrase: str) -> None:
    # 'not on Monday' read as 'on Monday' would be a wrong reminder: these stay unread.
    assert refusal(phrase) == "no schedule recognised in this text"


def test_courtesies_go_from_both_ends_only() -> None:
    assert strip_courtesies("hey can you please remind me tomorrow at 9 please thanks") == "tomorrow at 9"
    assert strip_courtesies("tomorrow please at 9") == "tomorrow please at 9"


def test_readings_keep_the_whole_text_first_and_never_drop_a_schedule_word() -> None:
    found = list(readings("to call anna not on friday at 3pm"))
    assert found[0] == "to call anna not on friday at 3pm"
    assert "on friday at 3pm" not in found and "friday at 3pm" not in found
    assert "in 2 hours" in readings("in 2 hours to check the oven")
