"""On PostgreSQL, the two activity tables are partitioned by day, so that retention drops a day's
table instead of deleting its rows one by one.

`monitoring_activityevent` is partitioned by range on `at`, `monitoring_hourlyvisit` on `hour`, each with
one table per UTC day (`<table>_pYYYYMMDD`) and a DEFAULT partition for any row outside them (a
gateway's clock far off, or rows older than partitioning). The primary key is (id, partition column):
PostgreSQL asks a unique key of a partitioned table to hold its partition column. Django still reads
and writes rows by `id`, which the identity column keeps unique; the unique constraints that make the
ingester idempotent hold the partition column already ((file, offset, at) and (school, hour, who,
site)). No other table may point a foreign key at these two (nothing does).

Migration 0002 makes the tables partitioned (`convert`); the worker makes the day partitions of today
and the next `AHEAD` days once a day (`ensure`), moving any rows the DEFAULT partition holds for such a
day into it first; retention drops day partitions that hold only rows past every school's limit
(`drop_before`). On SQLite none of this applies: every function here does nothing there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

__all__ = ["AHEAD", "TABLES", "convert", "days", "drop_before", "ensure", "partitioned"]

AHEAD = 3  # days of partitions made ahead of today
# The partitioned tables and their partition column.
TABLES: dict[str, str] = {"monitoring_activityevent": "at", "monitoring_hourlyvisit": "hour"}
_DAY = re.compile(r"_p(\d{8})$")


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def partitioned(table: str) -> bool:
    """Whether `table` is a partitioned table (always False on SQLite)."""
    if not _on_postgresql():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = to_regnamespace(current_schema())::oid",
            [table],
        )
        return cursor.fetchone() is not None


def convert(schema_editor: BaseDatabaseSchemaEditor, model: Any) -> None:
    """Make `model`'s table (a historical model of ActivityEvent or HourlyVisit) partitioned by day,
    keeping its rows, columns, indexes, unique constraints and foreign keys. For migration 0002."""
    meta = model._meta
    table = meta.db_table
    key = TABLES[table]
    if partitioned(table):
        return
    old = f"{table}_unpartitioned"
    q = _quote
    execute = schema_editor.execute
    execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
    execute(
        f"CREATE TABLE {q(table)} (LIKE {q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY) "
        f"PARTITION BY RANGE ({q(key)})"
    )
    execute(f"CREATE TABLE {q(table + '_default')} PARTITION OF {q(table)} DEFAULT")
    execute(f"INSERT INTO {q(table)} SELECT * FROM {q(old)}")
    execute(f"DROP TABLE {q(old)}")
    execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
        f"COALESCE((SELECT MAX(id) FROM {q(table)}), 0) + 1, false)",
        [table],
    )
    execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(table + '_pkey')} PRIMARY KEY (id, {q(key)})")
    for field in meta.concrete_fields:
        if field.is_relation:
            target = field.target_field
            execute(
                f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(f'{table}_{field.column}_fk')} FOREIGN KEY "
                f"({q(field.column)}) REFERENCES {q(target.model._meta.db_table)} ({q(target.column)}) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
        if (field.is_relation or field.db_index) and not field.primary_key:
            execute(f"CREATE INDEX {q(f'{table}_{field.column}_idx')} ON {q(table)} ({q(field.column)})")
    for index in meta.indexes:
        schema_editor.add_index(model, index)
    for constraint in meta.constraints:
        schema_editor.add_constraint(model, constraint)


def _name(table: str, day: dt.date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def _bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)


def days(table: str) -> Iterator[tuple[dt.date, str]]:
    """The day partitions of a table: (day, partition name), oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY c.relname",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    for name in names:
        found = _DAY.search(name)
        if found is not None:
            yield dt.datetime.strptime(found[1], "%Y%m%d").date(), name


def ensure(now: dt.datetime) -> int:
    """Make the day partitions of today and the next `AHEAD` days (UTC) that are missing; the number
    made. Rows the DEFAULT partition holds for such a day move into it."""
    if not _on_postgresql():
        return 0
    made = 0
    today = now.astimezone(dt.UTC).date()
    for table, key in TABLES.items():
        if not partitioned(table):
            continue
        have = {day for day, _ in days(table)}
        for n in range(AHEAD + 1):
            day = today + dt.timedelta(days=n)
            if day not in have:
                _make(table, key, day)
                made += 1
    return made


def _make(table: str, key: str, day: dt.date) -> None:
    q = _quote
    name = _name(table, day)
    start, end = _bounds(day)
    with transaction.atomic(), connection.cursor() as cursor:
        # Made apart and attached: rows of that day in the DEFAULT partition move in first (a
        # partition cannot be created over rows the DEFAULT one holds).
        cursor.execute(f"CREATE TABLE {q(name)} (LIKE {q(table)} INCLUDING DEFAULTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {q(table + '_default')} WHERE {q(key)} >= %s AND {q(key)} < %s "
            f"RETURNING *) INSERT INTO {q(name)} SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(
            f"ALTER TABLE {q(table)} ATTACH PARTITION {q(name)} FOR VALUES FROM (%s) TO (%s)", [start, end]
        )


def drop_before(table: str, before: dt.datetime, kept: str | None = None) -> int:
    """Drop the day partitions of `table` that end at or before `before`, except one holding a row
    matching the SQL condition `kept` (rows retention keeps); the number dropped."""
    if not partitioned(table):
        return 0
    dropped = 0
    q = _quote
    for day, name in list(days(table)):
        if _bounds(day)[1] > before:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            if kept is not None:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {q(name)} WHERE {kept})")
                row = cursor.fetchone()
                if row is not None and row[0]:
                    continue
            cursor.execute(f"ALTER TABLE {q(table)} DETACH PARTITION {q(name)}")
            cursor.execute(f"DROP TABLE {q(name)}")
        dropped += 1
    return dropped
