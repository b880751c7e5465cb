"""Each owner's settings row (owner_settings): read and written only under the owner's own name.

An owner without a row has no settings; the first change creates the row. A write is one
transaction; two concurrent first writes for one owner meet at the primary key and the loser
applies its change to the winner's row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from store.models import OwnerSettings
from store.repository import JobRepository

FIELDS = ("timezone", "channels", "quiet_hours")
_ZONE = text("SELECT timezone FROM owner_settings WHERE owner = :owner")


class OwnerSettingsStore:
    def __init__(self, repo: JobRepository) -> None:
        self.repo = repo

    def get(self, owner: str) -> OwnerSettings | None:
        with self.repo.read() as session:
            return session.exec(select(OwnerSettings).where(OwnerSettings.owner == owner)).first()

    def timezone(self, owner: str) -> str | None:
        """The owner's zone setting alone: read on every job_create that names no zone, so a Core read
        (an ORM session and instance cost a fifth of job_create in cProfile)."""
        return self.repo.scalar(_ZONE, {"owner": owner})

    def change(self, owner: str, values: dict[str, Any], now: datetime) -> OwnerSettings:
        """Set the given fields (a None value clears one); returns the row as stored."""
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise ValueError(f"not owner settings: {sorted(unknown)}")
        for _ in range(2):
            try:
                return self._change(owner, values, now)
            except IntegrityError:
                continue  # a concurrent first write created the row: apply the change to it
        return self._change(owner, values, now)

    def _change(self, owner: str, values: dict[str, Any], now: datetime) -> OwnerSettings:
        with self.repo.write() as session:
            row = session.exec(select(OwnerSettings).where(OwnerSettings.owner == owner)
                               .with_for_update()).first()
            if row is None:
                row = OwnerSettings(owner=owner, updated_at=now)
            for name, value in values.items():
                setattr(row, name, value if value is not None or name != "channels" else [])
            row.updated_at = now
            session.add(row)
            session.flush()
            session.refresh(row)
            return row
