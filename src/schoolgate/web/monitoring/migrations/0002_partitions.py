"""On PostgreSQL, the activity tables partitioned by day (monitoring/partitions.py); nothing on SQLite."""

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def partition(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    from schoolgate.web.monitoring.partitions import convert, ensure

    for name in ("ActivityEvent", "HourlyVisit"):
        convert(schema_editor, apps.get_model("monitoring", name))
    import datetime as dt

    ensure(dt.datetime.now(dt.UTC))


class Migration(migrations.Migration):
    atomic = True

    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
