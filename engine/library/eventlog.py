"""The library's event log: every LogEntry the engine recorded, in SQLite.

Rows are written as part of a library commit and carry its number, so a commit that did not
finish (the process was killed between the event log and the state file) is rolled back at
the next open: its rows are deleted and the lab, resumed from the previous commit, records
them again as it runs on.  ``PRAGMA user_version`` holds the schema; ``_MIGRATIONS[n]`` takes
it from ``n`` to ``n + 1``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from hvlab.engine import fileguard
from hvlab.engine.events import LogEntry
from hvlab.engine.library.schema import EVENT_LOG_SCHEMA
from hvlab.engine.library.state import log_entry_from_row

#: Rows kept; the oldest beyond this are dropped at commit time.
KEEP_ROWS = 200_000

_MIGRATIONS: dict[int, Sequence[str]] = {
    0: (
        """CREATE TABLE events (
               seq INTEGER PRIMARY KEY,
               commit_no INTEGER NOT NULL,
               time_us INTEGER NOT NULL,
               channel TEXT NOT NULL,
               event_id INTEGER NOT NULL,
               level TEXT NOT NULL,
               message TEXT NOT NULL,
               host_id TEXT NOT NULL,
               vm_id TEXT NOT NULL,
               vm_name TEXT NOT NULL)""",
        "CREATE INDEX events_vm ON events (vm_id, seq)",
        "CREATE INDEX events_time ON events (time_us)",
        "CREATE INDEX events_level ON events (level, seq)",
        "CREATE INDEX events_commit ON events (commit_no)",
        # The clock at the last commit: rebuilding a library whose state.json was lost
        # resumes from it, so simulated time never runs backwards.
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    ),
}

_COLUMNS = "time_us, channel, event_id, level, message, host_id, vm_id, vm_name"


class EventLogError(Exception):
    """The event log file is not a usable SQLite database of a known schema."""


class EventLogStore:
    """An open ``events.sqlite``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = fileguard.connect_sqlite(path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise EventLogError(f"{path}: the event log is damaged ({exc})") from None

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > EVENT_LOG_SCHEMA:
            raise EventLogError(f"{self.path}: the event log was written by a newer hvlab "
                                f"(schema {version}; this version reads up to "
                                f"{EVENT_LOG_SCHEMA})")
        while version < EVENT_LOG_SCHEMA:
            fileguard.transaction(self.path)
            self._db.execute("BEGIN IMMEDIATE")
            for statement in _MIGRATIONS[version]:
                self._db.execute(statement)
            version += 1
            self._db.execute(f"PRAGMA user_version = {version}")
            self._db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
            self._db = None  # type: ignore[assignment]

    def check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    # -- commits ----------------------------------------------------------------------------
    def append(self, entries: Iterable[LogEntry], commit_no: int,
               now_us: int | None = None) -> None:
        """Write ``entries`` as part of commit ``commit_no`` (one durable transaction),
        with the simulated time of the commit."""
        rows = [(commit_no, e.time_us, e.channel, e.event_id, e.level.value, e.message,
                 e.host_id, e.vm_id, e.vm_name) for e in entries]
        if not rows and now_us is None:
            return
        db = self._db
        fileguard.transaction(self.path)
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(f"INSERT INTO events (commit_no, {_COLUMNS}) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            if now_us is not None:
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('now_us', ?)",
                           (now_us,))
            last = db.execute("SELECT MAX(seq) FROM events").fetchone()[0]
            if last is not None and last > KEEP_ROWS:
                db.execute("DELETE FROM events WHERE seq <= ?", (last - KEEP_ROWS,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def roll_back_after(self, commit_no: int) -> int:
        """Delete rows of commits after ``commit_no`` (unfinished ones); returns how many."""
        fileguard.transaction(self.path)
        cur = self._db.execute("DELETE FROM events WHERE commit_no > ?", (commit_no,))
        return int(cur.rowcount)

    # -- queries ----------------------------------------------------------------------------
    def recent(self, count: int) -> list[LogEntry]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM events ORDER BY seq DESC LIMIT ?", (count,)).fetchall()
        return [log_entry_from_row(r) for r in reversed(rows)]

    def query(self, *, vm_id: str | None = None, vm_name: str | None = None,
              level: str | None = None,
              since_us: int | None = None, until_us: int | None = None,
              last: int | None = None) -> list[LogEntry]:
        """Entries oldest first, filtered by VM id, level (case-insensitive) and time."""
        filters = (
            ("vm_id = ?", vm_id),
            ("vm_name = ? COLLATE NOCASE", vm_name),
            ("level = ? COLLATE NOCASE", level),
            ("time_us >= ?", since_us),
            ("time_us <= ?", until_us),
        )
        where = [test for test, value in filters if value is not None]
        args: list[object] = [value for _, value in filters if value is not None]
        sql = f"SELECT {_COLUMNS} FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC"
        if last is not None:
            sql += " LIMIT ?"
            args.append(last)
        rows = self._db.execute(sql, args).fetchall()
        return [log_entry_from_row(r) for r in reversed(rows)]

    def last_now_us(self) -> int:
        """The simulated time of the last commit, or of the last entry (0 if neither)."""
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'now_us'").fetchone()
        except sqlite3.Error:
            row = None
        last = self._db.execute("SELECT MAX(time_us) FROM events").fetchone()[0]
        return max(0 if row is None else int(row[0]), 0 if last is None else int(last))

    def max_commit(self) -> int:
        value = self._db.execute("SELECT MAX(commit_no) FROM events").fetchone()[0]
        return 0 if value is None else int(value)

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
