from django.db import migrations


def install(apps, schema_editor):
    from analytics import triggers

    triggers.install(schema_editor)


def uninstall(apps, schema_editor):
    from analytics import triggers

    triggers.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("consultations", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
