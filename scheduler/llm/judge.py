"""The judge: a second, small call that decides what a run means for its job.

The judge answers through a forced tool (`record_verdict`): job_id, verdict
(completed | continue | failed), reason, notify, message. Its answer is
advice, mapped by one stated rule before the engine sees it:

| job type            | completed  | continue   | failed            | unusable answer |
|---------------------|------------|------------|-------------------|-----------------|
| ONE_OFF             | completed  | completed  | run failed (retry)| completed       |
| SCHEDULED/RECURRING | continue   | continue   | run failed (retry)| continue        |
| ONGOING             | completed  | continue   | run failed (retry)| continue        |

- A ONE_OFF has no next run, so "continue" cannot apply: it completes.
- SCHEDULED and RECURRING jobs end by their schedule (end_at, max_runs) or a
  cancel, never by the judge (docs/design.md §2): "completed" keeps them running.
- Only ONGOING jobs end when the judge finds their end condition met.
- "failed" fails this run; the engine retries it with backoff up to the
  job's max_attempts.
- An answer that names another job, has an unknown verdict, or does not come
  at all is ignored: the type's default applies (ONE_OFF completed, the
  others continue) and the executor's drafted message is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.enums import JobType, Verdict

VERDICT_TOOL: dict[str, Any] = {
    "name": "record_verdict",
    "description": "Record the verdict on this run of this job.",
    "input_schema": {
        "type": "object",
        "properties": {
            "job_id": {"type": "string", "description": "The id of the job being judged"},
            "verdict": {"type": "string", "enum": [v.value for v in Verdict]},
            "reason": {"type": "string"},
            "notify": {"type": "boolean", "description": "Should the person hear about this run now?"},
            "message": {"type": "string", "description": "What the person reads when notify is true"},
        },
        "required": ["job_id", "verdict", "reason", "notify", "message"],
    },
}
FORCE_VERDICT = {"type": "tool", "name": "record_verdict"}

_MAP: dict[JobType, dict[Verdict, Verdict]] = {
    JobType.ONE_OFF: {Verdict.COMPLETED: Verdict.COMPLETED, Verdict.CONTINUE: Verdict.COMPLETED,
                      Verdict.FAILED: Verdict.FAILED},
    JobType.SCHEDULED: {Verdict.COMPLETED: Verdict.CONTINUE, Verdict.CONTINUE: Verdict.CONTINUE,
                        Verdict.FAILED: Verdict.FAILED},
    JobType.RECURRING: {Verdict.COMPLETED: Verdict.CONTINUE, Verdict.CONTINUE: Verdict.CONTINUE,
                        Verdict.FAILED: Verdict.FAILED},
    JobType.ONGOING: {Verdict.COMPLETED: Verdict.COMPLETED, Verdict.CONTINUE: Verdict.CONTINUE,
                      Verdict.FAILED: Verdict.FAILED},
}


def default_verdict(job_type: JobType) -> Verdict:
    return Verdict.COMPLETED if job_type == JobType.ONE_OFF else Verdict.CONTINUE


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict  # after the mapping rule
    reason: str
    notify: bool
    message: str
    judge_said: str | None  # the raw verdict, for the trace
    note: str | None = None  # why the answer was mapped or ignored

    def trace(self) -> dict[str, Any]:
        return {"step": "judge", "judge_said": self.judge_said, "applied": self.verdict.value, "reason": self.reason,
                "notify": self.notify, "note": self.note}


def interpret(job_id: str, job_type: JobType, answer: Any, drafted_message: str) -> Judgement:
    """Apply the mapping rule (module docstring) to the judge's tool input, or to None for no answer."""
    fallback_notify = bool(drafted_message)
    if not isinstance(answer, dict):
        return Judgement(default_verdict(job_type), "the judge gave no answer", fallback_notify, drafted_message,
                         None, "no answer: the type's default applies")
    said = answer.get("verdict")
    if answer.get("job_id") != job_id:
        return Judgement(default_verdict(job_type), "the judge's answer named another job", fallback_notify,
                         drafted_message, str(said), f"ignored: it named job {answer.get('job_id')!r}")
    try:
        raw = Verdict(str(said).strip().lower())
    except ValueError:
        return Judgement(default_verdict(job_type), f"unknown verdict {said!r}", fallback_notify, drafted_message,
                         str(said), "ignored: unknown verdict")
    applied = _MAP[job_type][raw]
    message = str(answer.get("message") or "").strip() or drafted_message
    note = None if applied == raw else f"{raw.value} does not apply to a {job_type.value} job: {applied.value}"
    return Judgement(applied, str(answer.get("reason") or ""), bool(answer.get("notify")), message, raw.value, note)


def tool_input(content: Any, tool_name: str) -> Any:
    """The input of the first `tool_name` tool_use block in a reply's content, or None."""
    for block in content or []:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == tool_name:
            return block.input
    return None
