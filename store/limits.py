"""Every bound a caller's value must keep, in one place (docs/limits.md explains each); the text
columns of store/models.py take their sizes from here.

The numbers hold on SQLite and PostgreSQL alike: every integer fits PostgreSQL's 32-bit INTEGER
columns, and the time window keeps all schedule arithmetic inside the calendar (the latest fire a
preview can list is LATEST + 50 x 3,660 days, about year 2700, far from datetime's year 9999).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Bound:
    """An inclusive integer range."""

    low: int
    high: int


# -- text (characters, after trimming surrounding white space) ------------------------------------
TITLE_MAX = 200
INSTRUCTIONS_MAX = 20_000
END_CONDITION_MAX = 2_000
SCHEDULE_MAX = 500
CRON_MAX = 120
TIME_TEXT_MAX = 64  # run_at, start_at, end_at, schedule_preview's now
TIMEZONE_MAX = 64
CHAT_ID_MAX = 200
WEBHOOK_URL_MAX = 2_000
WEBHOOK_SECRET_MIN = 16
WEBHOOK_SECRET_MAX = 500
CHANNEL_URL_MAX = 2_000
QUIET_HOURS_MAX = 11  # "HH:MM-HH:MM"
IDEMPOTENCY_KEY_MAX = 200
REASON_MAX = 2_000
JOB_ID_MAX = 64
CURSOR_MAX = 200
QUERY_MAX = 2_000
KEYWORDS_MAX = 2_000  # keywords as one text, or all items of the list together
MESSAGE_MAX = 8_000  # job_observe_chat
MODEL_MAX = 100  # a job's model name
SYSTEM_PROMPT_MAX = 4_000  # a job's own system prompt, appended to the server's
AGENT_TOOL_MAX = 200  # one agent_tools entry: "<server>" or "<server>/<tool>"
AGENT_TOOLS_MAX = 50  # entries of agent_tools (a list)

# -- lists -------------------------------------------------------------------------------------------
DEPENDS_MAX = 50
CHANNELS_MAX = 10
KEYWORD_ITEMS_MAX = 32
FILTER_ITEMS_MAX = 9  # status / job_type filters: there are 9 statuses

# -- guidance notes (job_update's `guidance`) --------------------------------------------------------
GUIDANCE_NOTE_MAX = 2_000
GUIDANCE_NOTES_KEPT = 20  # a job keeps the newest notes: at most this many...
GUIDANCE_TOTAL_MAX = 10_000  # ...and at most this many characters together

# -- numbers -----------------------------------------------------------------------------------------
DAYS_MAX = 3_660  # about ten years, the longest interval either way
INTERVAL_SECONDS = Bound(1, DAYS_MAX * 86_400)  # the lower end is the configured minimum (default 60)
INTERVAL_DAYS = Bound(1, DAYS_MAX)
MAX_RUNS = Bound(1, 1_000_000)
MISFIRE_GRACE_SECONDS = Bound(0, 604_800)
MAX_ATTEMPTS = Bound(1, 20)
TIMEOUT_SECONDS = Bound(1, 86_400)
MAX_TURNS = Bound(1, 50)  # model turns per agent run
MAX_COST_USD = 1_000_000  # greater than 0, at most this
PREVIEW_COUNT = Bound(1, 50)
LIST_LIMIT = Bound(1, 200)
RUNS_SHOWN = Bound(0, 100)
SEARCH_LIMIT = Bound(1, 50)

# -- time: every instant a caller gives (run_at, start_at, end_at, now) ------------------------------
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
