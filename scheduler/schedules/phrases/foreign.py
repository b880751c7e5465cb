"""Schedules in German, French, Spanish, Italian, Portuguese and Dutch, put into the grammar's English.

'jeden Freitag um 18 Uhr' -> 'every friday at 18:00'; 'el lunes a las 9' -> 'monday at 9'.
dateparser's language data (the same that lets it read dates in 200 locales) gives
the names of weekdays, months, units and the words for today and tomorrow; dateparser
reads dates, not rules, so the words that make a rule ('jeden', 'tous les', 'cada',
'außer') and the ways of telling the time ('18 Uhr', '18h30', 'a las 9', 'halb 9')
are the small tables below. Translation is word for word into the English the
rules read, and only runs when the English reading found no schedule, so an
English phrase never changes meaning here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from scheduler.schedules.phrases.words import VOCABULARY, WEAK

__all__ = ["LANGUAGES", "to_english"]

_Replacement = str | Callable[[re.Match[str]], str]


def _half_before(match: re.Match[str]) -> str:
    """German 'halb 9' is half an hour before 9: 8:30."""
    return f"{(int(match['h']) - 1) % 24}:30"


def _quarter_before(match: re.Match[str]) -> str:
    return f"{(int(match['h']) - 1) % 24}:45"


_DE_DAYS = "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag"
_FR_DAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
_ES_DAYS = "lunes|martes|miercoles|jueves|viernes|sabado|domingo"

# Phrases first (longest meaning first), then single words. Keys are lower case without accents.
_PHRASES: dict[str, list[tuple[str, _Replacement]]] = {
    "de": [
        (r"\berinner(?:e|n|t)?\s+(?:mich|uns)\b(?:\s+bitte)?(?:\s+daran)?", "remind me"),
        (r"\b(?:kannst|konntest|koenntest|wurdest|wuerdest)\s+du\b", "can you"),
        (r"\b(?:konnen|koennen|konnten|koennten)\s+sie\b", "can you"),
        (r"\bbitte\b", "please"),
        (r"\b(\d{1,2})\s*(?:[.:]\s*(\d{2}))?\s*uhr\s*(\d{2})?\b",
         lambda m: f"{m[1]}:{m[2] or m[3] or '00'}"),
        (r"\bhalb\s+(?P<h>\d{1,2})\b", _half_before),
        (r"\bviertel\s+nach\s+(\d{1,2})\b", r"\1:15"),
        (r"\bviertel\s+vor\s+(?P<h>\d{1,2})\b", _quarter_before),
        (r"\b(?:eine\s+)?viertelstunde\b", "15 minutes"),
        (r"\b(?:einer?\s+)?halben?\s+stunde\b", "30 minutes"),
        (r"\banderthalb\s+stunden\b", "90 minutes"),
        (r"\bam\s+(\d{1,2})\.(?=\s|$)", r"on the \1th"),
        (r"\b(\d{1,2})\.(?=\s|$)", r"\1th"),
        (r"\bmorgen\s+fruh\b|\bmorgen\s+frueh\b", "tomorrow morning"),
        (r"\bmorgen\s+(?=abend|nachmittag|mittag|vormittag)", "tomorrow "),
        (r"\b(?:jeden|jede|jedes|am)\s+morgen\b", "every morning"),
        (r"\bheute\s+abend\b", "this evening"),
        (r"\bheute\s+nachmittag\b", "this afternoon"),
        (r"\bheute\s+morgen\b|\bheute\s+fruh\b", "this morning"),
        (r"\bam\s+wochenende\b|\bam\s+wochenenden\b", "on weekends"),
        (r"\bjede\s+zweite\s+woche\b|\balle\s+zwei\s+wochen\b|\balle\s+2\s+wochen\b", "every 2 weeks"),
        (r"\bjeden\s+zweiten\b", "every 2nd"),
        (r"\b(\w+)\s*mal\s+(?:am|pro|im)\s+tag\b", r"\1 times per day"),
        (r"\b(\w+)mal\s+taglich\b", r"\1 times per day"),
        (r"\b(?:des|jeden|jedes)\s+monats\b", "of every month"),
        (r"\b(?:des|jeden|jedes)\s+quartals\b", "of every quarter"),
        (rf"\bvon\s+({_DE_DAYS})\s+bis\s+({_DE_DAYS})\b", r"every \1 to \2"),
        (r"\bvon\s+(?=\d)", "from "),
        (r"\bzwischen\s+(?=\d)", "between "),
        (r"\bam\s+(?=[a-z])", "on "),
        (r"\bin\s+der\s+nacht\b", "at night"),
    ],
    "fr": [
        (r"\brappel(?:le|ez)?[\s-]*(?:moi|nous)\b", "remind me"),
        (r"\b(?:peux|pourrais|pouvez|pourriez)[\s-]*(?:tu|vous)\b", "can you"),
        (r"\bs'?il\s+(?:te|vous)\s+plait\b|\bstp\b|\bsvp\b", "please"),
        (r"\b(dans|toutes\s+les|tous\s+les|chaque|en)\s+(\d+)\s*(?:h|heures?)\b", r"\1 \2 hours"),
        (r"\b(\d{1,2})\s*(?:h|heures?)\s*(\d{2})\b", r"\1:\2"),
        (r"\b(\d{1,2})\s*(?:h|heures?)\b(?!\s*(?:de\s+plus|plus\s+tard))", r"\1:00"),
        (r"\b(?:un\s+)?quart\s+d'?\s*heure\b", "15 minutes"),
        (r"\b(?:une\s+)?demi[\s-]*heure\b", "30 minutes"),
        (r"\b(?:une\s+)?heure\s+et\s+demie\b", "90 minutes"),
        (r"\baujourd'?\s*hui\b", "today"),
        (r"\bapres[\s-]*demain\b", "dayaftertomorrow"),
        (r"\bce\s+soir\b", "this evening"),
        (r"\bcet\s+apres[\s-]*midi\b", "this afternoon"),
        (r"\bce\s+matin\b", "this morning"),
        (r"\b(?:l'|le\s+|l\s+|de\s+l'|de\s+l\s+)?apres[\s-]*midi\b", "afternoon"),
        (r"\bdu\s+matin\b", "am"),
        (r"\bdu\s+soir\b", "pm"),
        (r"\ben\s+semaine\b", "on weekdays"),
        (r"\bjours?\s+ouvr(?:ables?|es?)\b", "weekdays"),
        (r"\b(?:le\s+|les\s+)?week[\s-]*ends?\b", "weekends"),
        (r"\b(?:toutes|tous)\s+les\s+deux\s+semaines\b", "every 2 weeks"),
        (r"\bun\s+(\w+)\s+sur\s+deux\b", r"every other \1"),
        (r"\b(\w+)\s+fois\s+par\s+jour\b", r"\1 times per day"),
        (r"\b(?:toutes|tous)\s+les\b", "every"),
        (r"\b(?:de\s+chaque|du|de)\s+mois\b", "of every month"),
        (r"\b(?:de\s+chaque|du)\s+trimestre\b", "of every quarter"),
        (rf"\bdu\s+({_FR_DAYS})\s+au\s+({_FR_DAYS})\b", r"every \1 to \2"),
        (r"\bde\s+(?=\d)", "from "),
        (r"(?<=\d)\s+(?:a|jusqu'?\s*a)\s+(?=\d)", " to "),
        (r"\bentre\s+(?=\d)", "between "),
        (r"\ble\s+(\d{1,2})(?:er)?\b(?!:)", r"on the \1th"),
        (r"\b(\w+)\s+prochaine?\b", r"next \1"),
        (r"\bprochaine?\s+", "next "),
        (r"\b(\w+)\s+dernier(?:e)?\b(?=\s+(?:du|de|of))", r"last \1"),
        (r"\b(?:d'|l'|d\s|l\s)", " "),
    ],
    "es": [
        (r"\b(?:recuerdame|recordarme|avisame|recuerdanos)\b", "remind me"),
        (r"\b(?:puedes|podrias|podria|puede)\b", "can you"),
        (r"\bpor\s+favor\b", "please"),
        (r"\bde\s+la\s+manana\b", "am"),
        (r"\bpor\s+la\s+manana\b", "in the morning"),
        (r"\bde\s+la\s+(?:tarde|noche)\b", "pm"),
        (r"\bpor\s+la\s+tarde\b", "in the afternoon"),
        (r"\bpor\s+la\s+noche\b", "at night"),
        (r"\besta\s+noche\b", "tonight"),
        (r"\besta\s+tarde\b", "this afternoon"),
        (r"\besta\s+manana\b", "this morning"),
        (r"\bpasado\s+manana\b", "dayaftertomorrow"),
        (r"\b(?:un\s+)?cuarto\s+de\s+hora\b", "15 minutes"),
        (r"\bmedia\s+hora\b", "30 minutes"),
        (r"\b(?:una\s+)?hora\s+y\s+media\b", "90 minutes"),
        (r"\b(\d{1,2})\s+y\s+media\b", r"\1:30"),
        (r"\b(\d{1,2})\s+y\s+cuarto\b", r"\1:15"),
        (r"\b(?:fin(?:es)?\s+de\s+semana)\b", "weekends"),
        (r"\bentre\s+semana\b", "on weekdays"),
        (r"\bdias\s+(?:laborables|habiles)\b", "weekdays"),
        (r"\bcada\s+dos\s+semanas\b", "every 2 weeks"),
        (r"\b(\w+)\s+veces\s+al\s+dia\b", r"\1 times per day"),
        (r"\b(?:todos|todas)\s+los?\s+dias\b", "every day"),
        (r"\b(?:todos|todas)\s+(?:los|las)\b", "every"),
        (r"\blos\s+(?=(?:lunes|martes|miercoles|jueves|viernes|sabados?|domingos?)\b)", "every "),
        (r"\bdel?\s+(?:cada\s+)?mes\b", "of every month"),
        (r"\bdel?\s+(?:cada\s+)?trimestre\b", "of every quarter"),
        (r"\bcada\s+mes\b", "every month"),
        (rf"\bde\s+({_ES_DAYS})\s+a\s+({_ES_DAYS})\b", r"every \1 to \2"),
        (r"\bdesde\s+las?\s+(?=\d)", "from "),
        (r"\bde\s+(?=\d{1,2}(?::\d\d)?\s+a\s+\d)", "from "),
        (r"\bentre\s+las?\s+(?=\d)", "between "),
        (r"\b(?:hasta\s+las?|a\s+las?)\s+(?=\d)", "at "),
        (r"(?<=\d)\s+a\s+(?=\d)", " to "),
        (r"(?<=\d)\s+y\s+las?\s+(?=\d)", " and "),
        (r"\bel\s+dia\s+(\d{1,2})\b", r"on the \1th"),
        (r"\bel\s+(\d{1,2})\b(?!:)", r"on the \1th"),
        (r"\bque\s+viene\b", "next"),
        (r"\bdentro\s+de\b", "in"),
    ],
    "it": [
        (r"\bricorda(?:mi|ci)\b", "remind me"),
        (r"\bper\s+favore\b", "please"),
        (r"\b(?:puoi|potresti)\b", "can you"),
        (r"\bogni\s+due\s+settimane\b", "every 2 weeks"),
        (r"\b(?:tutti|tutte)\s+(?:i|le|gli)\b", "every"),
        (r"\balle\s+(?=\d)", "at "),
        (r"\ball'\s*(?=\d)", "at "),
        (r"\bdalle\s+(?=\d)", "from "),
        (r"\bdel\s+mese\b|\bdi\s+ogni\s+mese\b", "of every month"),
        (r"\bfine\s+settimana\b|\bweekend\b", "weekends"),
        (r"\bil\s+(\d{1,2})\b(?!:)", r"on the \1th"),
        (r"\bstasera\b", "tonight"),
        (r"\bdopodomani\b", "dayaftertomorrow"),
        (r"\bmezz'?\s*ora\b", "30 minutes"),
        (r"\b(\w+)\s+prossim[oa]\b", r"next \1"),
    ],
    "pt": [
        (r"\blembr(?:a|e)[\s-]*me\b|\bme\s+lembr(?:a|e)\b", "remind me"),
        (r"\bpor\s+favor\b", "please"),
        (r"\btodos\s+os\s+dias\b|\btodo\s+dia\b", "every day"),
        (r"\b(?:todos|todas)\s+(?:os|as)\b", "every"),
        (r"\b(?:as|a)\s+(?=\d)", "at "),
        (r"\bdas\s+(?=\d)", "from "),
        (r"\bdo\s+mes\b|\bde\s+cada\s+mes\b", "of every month"),
        (r"\bfins?\s+de\s+semana\b", "weekends"),
        (r"\bdia\s+(\d{1,2})\b", r"on the \1th"),
        (r"\bmeia\s+hora\b", "30 minutes"),
        (r"\bdepois\s+de\s+amanha\b", "dayaftertomorrow"),
        (r"\besta\s+noite\b|\bhoje\s+a\s+noite\b", "tonight"),
        (r"\b(\w+)[\s-]feiras?\b", r"\1-feira"),
    ],
    "nl": [
        (r"\bherinner\s+(?:me|mij|ons)\b", "remind me"),
        (r"\balsjeblieft\b|\balstublieft\b", "please"),
        (r"\belke\s+twee\s+weken\b|\bom\s+de\s+week\b", "every 2 weeks"),
        (r"\b(\d{1,2})\s*uur\b", r"\1:00"),
        (r"\bom\s+(?=\d)", "at "),
        (r"\bvan\s+(?=\d)", "from "),
        (r"\bvan\s+de\s+maand\b|\belke\s+maand\b", "of every month"),
        (r"\bvanavond\b", "this evening"),
        (r"\bhalf\s+(?P<h>\d{1,2})\b", _half_before),
        (r"\bhalfuur\b|\bhalf\s+uur\b", "30 minutes"),
    ],
}

# Single words: rules, days, times of day, joining words. dateparser adds the names.
_WORDS: dict[str, dict[str, str]] = {
    "de": {
        "jeden": "every", "jede": "every", "jedes": "every", "jeder": "every", "alle": "every", "um": "at",
        "und": "and", "oder": "and", "ausser": "except", "bis": "to", "ab": "from",
        "in": "in", "nach": "in", "taglich": "daily", "stundlich": "hourly", "wochentlich": "weekly",
        "monatlich": "monthly", "jahrlich": "yearly", "vierteljahrlich": "quarterly", "quartalsweise": "quarterly",
        "quartal": "quarter", "werktags": "on weekdays", "wochentags": "on weekdays", "werktag": "weekday",
        "werktage": "weekdays", "wochenende": "weekend", "montags": "mondays", "dienstags": "tuesdays",
        "mittwochs": "wednesdays", "donnerstags": "thursdays", "freitags": "fridays", "samstags": "saturdays",
        "sonntags": "sundays", "morgens": "in the morning", "vormittags": "in the morning", "mittags": "at noon",
        "nachmittags": "in the afternoon", "abends": "in the evening", "nachts": "at night", "abend": "evening",
        "nachmittag": "afternoon", "vormittag": "morning", "mittag": "noon", "mitternacht": "midnight",
        "nacht": "night", "nachsten": "next", "nachste": "next", "nachster": "next", "kommenden": "next",
        "diesen": "this", "diese": "this", "dieses": "this", "ersten": "1st", "erste": "1st", "zweiten": "2nd",
        "dritten": "3rd", "vierten": "4th", "funften": "5th", "letzten": "last", "letzte": "last", "tag": "day",
        "tage": "days", "tagen": "days", "fruh": "morning", "zweimal": "twice", "dreimal": "3 times",
        "einmal": "once", "ein": "1", "eine": "1", "einer": "1", "zwei": "2", "drei": "3", "vier": "4",
        "funf": "5", "sechs": "6", "sieben": "7", "acht": "8", "neun": "9", "zehn": "10", "elf": "11",
        "zwolf": "12", "fünfzehn": "15", "funfzehn": "15", "zwanzig": "20", "dreissig": "30",
        "vierzig": "40", "funfundvierzig": "45", "sekunden": "seconds", "des": "of", "im": "in", "mich": "me",
        "der": "the", "die": "the", "das": "the", "den": "the", "dem": "the", "zum": "to", "zur": "to",
    },
    "fr": {
        "chaque": "every", "a": "at", "et": "and", "ou": "and", "sauf": "except", "excepte": "except",
        "dans": "in", "jusqu'a": "to", "quotidien": "daily", "quotidienne": "daily",
        "quotidiennement": "daily", "hebdomadaire": "weekly", "mensuel": "monthly", "mensuelle": "monthly",
        "mensuellement": "monthly", "trimestriel": "quarterly", "trimestrielle": "quarterly",
        "trimestre": "quarter", "annuel": "yearly", "annuelle": "yearly", "matin": "morning",
        "matins": "mornings", "soir": "evening", "soirs": "evenings", "nuit": "night", "midi": "noon",
        "minuit": "midnight", "prochain": "next", "prochaine": "next", "ce": "this", "cette": "this",
        "premier": "1st", "premiere": "1st", "1er": "1st", "deuxieme": "2nd", "second": "2nd",
        "seconde": "2nd", "troisieme": "3rd", "quatrieme": "4th", "dernier": "last", "derniere": "last",
        "jour": "day", "jours": "days", "quinze": "15", "vingt": "20", "trente": "30", "quarante": "40",
        "le": "", "la": "", "les": "", "du": "of", "des": "of", "de": "of", "au": "at", "aux": "at",
        "moi": "me", "fois": "times", "semaine": "week", "semaines": "weeks", "trimestres": "quarter",
        "un": "1", "une": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "six": "6", "sept": "7",
        "huit": "8", "neuf": "9", "dix": "10", "onze": "11", "douze": "12",
    },
    "es": {
        "cada": "every", "a": "at", "y": "and", "o": "and", "excepto": "except", "salvo": "except",
        "menos": "except", "en": "in", "hasta": "to", "diario": "daily", "diaria": "daily",
        "diariamente": "daily", "semanal": "weekly", "semanalmente": "weekly", "mensual": "monthly",
        "mensualmente": "monthly", "trimestral": "quarterly", "trimestralmente": "quarterly",
        "trimestre": "quarter", "anual": "yearly", "anualmente": "yearly", "manana": "tomorrow",
        "tarde": "afternoon", "noche": "night", "mediodia": "noon", "medianoche": "midnight",
        "proximo": "next", "proxima": "next", "este": "this", "esta": "this", "primer": "1st",
        "primero": "1st", "primera": "1st", "segundo": "2nd", "segunda": "2nd", "tercer": "3rd",
        "tercero": "3rd", "tercera": "3rd", "cuarto": "4th", "cuarta": "4th", "ultimo": "last",
        "ultima": "last", "dia": "day", "dias": "days", "quince": "15", "veinte": "20", "treinta": "30",
        "cuarenta": "40", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6", "siete": "7",
        "ocho": "8", "nueve": "9", "diez": "10", "once": "11", "doce": "12", "el": "", "la": "", "las": "",
        "los": "", "de": "of", "del": "of", "al": "at", "veces": "times", "semana": "week", "semanas": "weeks",
    },
    "it": {
        "ogni": "every", "e": "and", "tranne": "except", "tra": "in", "fra": "in", "alle": "at",
        "giornaliero": "daily", "quotidianamente": "daily", "settimanale": "weekly", "mensile": "monthly",
        "mattina": "morning", "sera": "evening", "notte": "night", "mezzogiorno": "noon",
        "mezzanotte": "midnight", "prossimo": "next", "prossima": "next", "primo": "1st", "secondo": "2nd",
        "terzo": "3rd", "quarto": "4th", "ultimo": "last", "il": "", "lo": "", "la": "", "i": "", "le": "",
        "di": "of", "del": "of", "due": "2", "tre": "3", "dieci": "10", "quindici": "15", "venti": "20",
        "trenta": "30", "giorno": "day", "giorni": "days",
    },
    "pt": {
        "cada": "every", "e": "and", "exceto": "except", "em": "in", "daqui": "in", "diario": "daily",
        "diariamente": "daily", "semanal": "weekly", "mensal": "monthly", "manha": "morning", "tarde": "afternoon",
        "noite": "night", "meio-dia": "noon", "meia-noite": "midnight", "proximo": "next", "proxima": "next",
        "primeiro": "1st", "segundo": "2nd", "terceiro": "3rd", "ultimo": "last", "o": "", "a": "", "os": "",
        "as": "", "de": "of", "do": "of", "da": "of", "dois": "2", "duas": "2", "tres": "3", "dez": "10",
        "quinze": "15", "vinte": "20", "trinta": "30", "dia": "day", "dias": "days",
    },
    "nl": {
        "elke": "every", "iedere": "every", "en": "and", "behalve": "except", "over": "in", "tot": "to",
        "dagelijks": "daily", "wekelijks": "weekly", "maandelijks": "monthly", "ochtend": "morning",
        "avond": "evening", "nacht": "night", "middag": "afternoon", "volgende": "next", "eerste": "1st",
        "tweede": "2nd", "derde": "3rd", "laatste": "last", "op": "on", "de": "", "het": "", "twee": "2",
        "drie": "3", "tien": "10", "vijftien": "15", "twintig": "20", "dertig": "30", "weekend": "weekend",
        "werkdagen": "weekdays", "doordeweeks": "on weekdays",
    },
}
LANGUAGES = tuple(_PHRASES)
_NAME_KEYS = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_UNIT_KEYS = ("year", "month", "week", "day", "hour", "minute", "second")
_RELATIVE = {"in 1 day": "tomorrow", "0 day ago": "today", "in 2 day": "dayaftertomorrow", "1 day ago": "yesterday"}
# Short forms in dateparser's data that are also common words here ('Don', 'sex', 'Sam', 'mit').
_AMBIGUOUS = frozenset({"don", "sex", "sam", "mit", "die", "son", "qua", "qui", "ter", "seg", "sab", "dom", "mar"})
_TOKEN_RE = re.compile(r"\d+(?:[:.]\d+)*(?:st|nd|rd|th)?|[\w'-]+|\S")


def _plain(text: str) -> str:
    """Lower case without accents: 'Mañana' -> 'manana', 'außer' -> 'ausser'."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=len(LANGUAGES))
def _dictionary(language: str) -> dict[str, str]:
    """Word -> English for one language: dateparser's names and units, then our rule words."""
    from dateparser.languages.loader import default_loader  # here: only a foreign phrase pays for dateparser

    info = default_loader.get_locale(language).info
    words: dict[str, str] = {}
    seen: dict[str, set[str]] = {}
    for key in (*_NAME_KEYS, *_UNIT_KEYS):
        for form in info.get(key, []):
            plain = _plain(form)
            if len(plain) >= 3 and plain not in _AMBIGUOUS:
                seen.setdefault(plain, set()).add(key)
                if key in _NAME_KEYS[:7] and len(plain) > 4:
                    seen.setdefault(f"{plain}s", set()).add(f"{key}s")
    for plain, meanings in seen.items():
        if len(meanings) == 1:
            (meaning,) = meanings
            words[plain] = meaning
    for english, forms in info.get("relative-type", {}).items():
        if english in _RELATIVE:
            words |= {_plain(form): _RELATIVE[english] for form in forms if " " not in form}
    return words | {_plain(word): meaning for word, meaning in _WORDS[language].items()}


@lru_cache(maxsize=len(LANGUAGES))
def _phrases(language: str) -> list[tuple[re.Pattern[str], _Replacement]]:
    return [(re.compile(pattern), replacement) for pattern, replacement in _PHRASES[language]]


def _score(plain: str, tokens: list[str], language: str) -> int:
    """How many words and phrases name a schedule idea in this language (articles and 'at' do not count)."""
    dictionary = _dictionary(language)
    words = sum(
        1 for token in tokens
        if token in dictionary and token not in VOCABULARY and token not in WEAK
        and any(word in VOCABULARY or word[:1].isdigit() for word in dictionary[token].split())
    )
    return words + sum(1 for pattern, _ in _phrases(language) if pattern.search(plain))


def to_english(text: str) -> str | None:
    """The text in the grammar's English, or None when it reads as no language we know."""
    plain = _plain(text)
    tokens = _TOKEN_RE.findall(plain)
    scores = {language: _score(plain, tokens, language) for language in LANGUAGES}
    language = max(scores, key=lambda name: scores[name])
    if scores[language] == 0:
        return None
    for pattern, replacement in _phrases(language):
        plain = pattern.sub(replacement, plain)
    dictionary = _dictionary(language)
    return " ".join(dictionary.get(token, token) for token in _TOKEN_RE.findall(plain))
