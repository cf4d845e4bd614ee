from django.db import migrations

from analytics import triggers


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_change_triggers"),
        ("consultations", "0002_references_without_database_constraints"),
    ]

    operations = [
        migrations.RunPython(
            triggers.restore_after_table_rebuild, migrations.RunPython.noop
        )
    ]
