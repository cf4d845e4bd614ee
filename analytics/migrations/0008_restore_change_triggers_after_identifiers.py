from django.db import migrations

from analytics import triggers


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0007_aggregates_with_null_for_zero"),
        ("consultations", "0003_identifiers_by_code_point"),
    ]

    operations = [
        migrations.RunPython(
            triggers.restore_after_table_rebuild, migrations.RunPython.noop
        )
    ]
