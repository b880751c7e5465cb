"""Chat phrasings: schedules in other languages mean what they mean in English (no language model involved)."""

from __future__ import annotations

import pytest

from scheduler.schedules.phrases.foreign import LANGUAGES, to_english
from tests.scheduler.schedules.phrases.table import ONE, REC, SCH, Row, check, refusal, row_id

GERMAN = [
    Row("jeden Montag um 8 Uhr", SCH, "cron 0 8 * * 1", ["2027-06-14T08:00:00+02:00", "2027-06-21T08:00:00+02:00"]),
    Row("dienstags um 19:30", SCH, "cron 30 19 * * 2", ["2027-06-15T19:30:00+02:00"]),
    Row("Erinnere mich morgen um 7 Uhr", ONE, "", ["2027-06-10T07:00:00+02:00"]),
    Row("am Samstag um 10", ONE, "", ["2027-06-12T10:00:00+02:00"]),
    Row("alle 15 Minuten", REC, "seconds 900", ["2027-06-09T14:35:05+02:00"]),
    Row("in zwei Stunden", ONE, "", ["2027-06-09T16:20:05+02:00"]),
    Row("werktags um halb 8", SCH, "cron 30 7 * * 1-5", ["2027-06-10T07:30:00+02:00"]),
    Row("jeden Tag außer Sonntag um 6", SCH, "cron 0 6 * * 1-6", ["2027-06-10T06:00:00+02:00"]),
    Row("am 15. jeden Monats um 10 Uhr", SCH, "cron 0 10 15 * *", ["2027-06-15T10:00:00+02:00"]),
    Row("jeden zweiten Donnerstag um 10", REC, "days 14", ["2027-06-10T10:00:00+02:00", "2027-06-24T10:00:00+02:00"]),
    Row("von Montag bis Freitag um 8:15", SCH, "cron 15 8 * * 1-5", ["2027-06-10T08:15:00+02:00"]),
    Row("heute Abend um 9", ONE, "", ["2027-06-09T21:00:00+02:00"]),
]
FRENCH = [
    Row("tous les lundis à 9h", SCH, "cron 0 9 * * 1", ["2027-06-14T09:00:00+02:00"]),
    Row("chaque mercredi à 18h30", SCH, "cron 30 18 * * 3", ["2027-06-09T18:30:00+02:00", "2027-06-16T18:30:00+02:00"]),
    Row("rappelle-moi demain à 8h", ONE, "", ["2027-06-10T08:00:00+02:00"]),
    Row("vendredi à 17h", ONE, "", ["2027-06-11T17:00:00+02:00"]),
    Row("toutes les 2 heures", REC, "seconds 7200", ["2027-06-09T16:20:05+02:00"]),
    Row("dans vingt minutes", ONE, "", ["2027-06-09T14:40:05+02:00"]),
    Row("le 15 de chaque mois à 10h", SCH, "cron 0 10 15 * *", ["2027-06-15T10:00:00+02:00"]),
    Row("du lundi au vendredi à 7h", SCH, "cron 0 7 * * 1-5", ["2027-06-10T07:00:00+02:00"]),
    Row("ce soir à 8", ONE, "", ["2027-06-09T20:00:00+02:00"]),
]
SPANISH = [
    Row("el lunes a las 9", ONE, "", ["2027-06-14T09:00:00+02:00"]),
    Row("cada viernes a las 18:00", SCH, "cron 0 18 * * 5", ["2027-06-11T18:00:00+02:00"]),
    Row("todos los días a las 7", SCH, "cron 0 7 * * *", ["2027-06-10T07:00:00+02:00"]),
    Row("mañana por la mañana", ONE, "", ["2027-06-10T09:00:00+02:00"]),
    Row("recuérdame el sábado a las 10", ONE, "", ["2027-06-12T10:00:00+02:00"]),
    Row("cada 2 horas", REC, "seconds 7200", ["2027-06-09T16:20:05+02:00"]),
    Row("en 30 minutos", ONE, "", ["2027-06-09T14:50:05+02:00"]),
    Row("los martes y jueves a las 19:00", SCH, "cron 0 19 * * 2,4", ["2027-06-10T19:00:00+02:00"]),
    Row("mañana a las 5 de la tarde", ONE, "", ["2027-06-10T17:00:00+02:00"]),
    Row("de lunes a viernes a las 8", SCH, "cron 0 8 * * 1-5", ["2027-06-10T08:00:00+02:00"]),
]
OTHERS = [
    Row("ogni lunedì alle 9", SCH, "cron 0 9 * * 1", ["2027-06-14T09:00:00+02:00"]),
    Row("todos os dias às 8", SCH, "cron 0 8 * * *", ["2027-06-10T08:00:00+02:00"]),
    Row("elke maandag om 9 uur", SCH, "cron 0 9 * * 1", ["2027-06-14T09:00:00+02:00"]),
]
ALL = [pytest.param(row, id=row_id(row)) for row in GERMAN + FRENCH + SPANISH + OTHERS]


@pytest.mark.parametrize("row", ALL)
def test_other_languages_read_as_english(row: Row) -> None:
    check(row)


@pytest.mark.parametrize("phrase", ["jeden blauen Mond", "quand tu veux", "cuando quieras"])
def test_other_languages_without_a_schedule_stay_an_error(phrase: str) -> None:
    assert refusal(phrase) == "no schedule recognised in this text"


def test_english_is_never_taken_for_another_language() -> None:
    assert to_english("every blue moon") is None
    assert to_english("whenever you feel like it") is None
    # 'tag' is German for day: an English task that holds it still reads as English.
    check(Row("remind me to tag the photos at 6pm", ONE, "", ["2027-06-09T18:00:00+02:00"]))


def test_the_languages_covered() -> None:
    assert {"de", "fr", "es"} <= set(LANGUAGES)
