from django.db import migrations


def restore(apps, schema_editor):
    from analytics import triggers

    # SQLite drops a table's triggers when a migration rebuilds it, as the
    # consultations migration below does; no write happens between the two.
    triggers.install_missing(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_change_triggers"),
        ("consultations", "0002_references_without_database_constraints"),
    ]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop)]
