from django.db import migrations

# A refresh adds to rows scattered over the whole history. Where the row's page has
# room for the new version, PostgreSQL writes it there (a heap-only update) and
# leaves both indexes alone; on full pages every update moves the row and writes a
# new entry into each index, so a refresh of a large store dirties (and logs whole)
# far more pages than it reads. Pages written from now on keep a tenth free; those
# already full get the room when a rebuild or VACUUM FULL rewrites them. SQLite has
# no such setting.
TABLES = ("analytics_trafficaggregate", "analytics_latencyhistogram")


def set_fillfactor(schema_editor, percent):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {percent})")


def leave_room(apps, schema_editor):
    set_fillfactor(schema_editor, 90)


def fill_pages(apps, schema_editor):
    set_fillfactor(schema_editor, 100)


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0005_aggregates_without_empty_row_indexes'),
    ]

    operations = [migrations.RunPython(leave_room, fill_pages)]
