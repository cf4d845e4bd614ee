import datetime as dt

from django.db import migrations, models
from django.db.models import Max, Min
from django.utils import timezone


def plan_rebuild(apps, schema_editor):
    # The histograms start empty in their new rows: plan a rebuild, which the next
    # refresh runs before anything else, so that they are counted again from the
    # consultations (and the pending changes, which its days consume).
    bounds = [
        apps.get_model(*name).objects.aggregate(
            first=Min("started_at"), last=Max("started_at")
        )
        for name in (
            ("consultations", "Consultation"),
            ("analytics", "ConsultationChange"),
        )
    ]
    firsts = [b["first"] for b in bounds if b["first"] is not None]
    if not firsts:
        return
    first = min(firsts).date()
    last = max(b["last"] for b in bounds if b["last"] is not None).date()
    apps.get_model("analytics", "TrafficAggregate").objects.all().delete()
    RebuildPiece = apps.get_model("analytics", "RebuildPiece")
    RebuildPiece.objects.all().delete()
    RebuildPiece.objects.bulk_create(
        RebuildPiece(day=first + dt.timedelta(days=n))
        for n in range((last - first).days + 1)
    )
    apps.get_model("analytics", "FillState").objects.update_or_create(
        pk=1,
        defaults={"rebuild_started_at": timezone.now(), "rebuild_finished_at": None},
    )


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0003_restore_change_triggers'),
        ('consultations', '0002_references_without_database_constraints'),
    ]

    operations = [
        migrations.CreateModel(
            name='LatencyHistogram',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('bucket_start', models.DateTimeField(verbose_name='bucket start')),
                ('grouping', models.PositiveSmallIntegerField(verbose_name='grouping')),
                ('channel', models.IntegerField(default=0)),
                ('consultation_type', models.IntegerField(default=0)),
                ('business_line', models.IntegerField(default=0)),
                ('product_category', models.IntegerField(default=0)),
                ('customer_tier', models.IntegerField(default=0)),
                ('team', models.IntegerField(default=0)),
                ('measured', models.IntegerField(default=0)),
                ('wait_00', models.IntegerField(default=0)),
                ('wait_01', models.IntegerField(default=0)),
                ('wait_02', models.IntegerField(default=0)),
                ('wait_03', models.IntegerField(default=0)),
                ('wait_04', models.IntegerField(default=0)),
                ('wait_05', models.IntegerField(default=0)),
                ('wait_06', models.IntegerField(default=0)),
                ('wait_07', models.IntegerField(default=0)),
                ('wait_08', models.IntegerField(default=0)),
                ('wait_09', models.IntegerField(default=0)),
                ('wait_10', models.IntegerField(default=0)),
                ('wait_11', models.IntegerField(default=0)),
                ('wait_12', models.IntegerField(default=0)),
                ('wait_13', models.IntegerField(default=0)),
                ('wait_14', models.IntegerField(default=0)),
                ('wait_15', models.IntegerField(default=0)),
                ('wait_16', models.IntegerField(default=0)),
                ('wait_17', models.IntegerField(default=0)),
                ('wait_18', models.IntegerField(default=0)),
                ('wait_19', models.IntegerField(default=0)),
                ('wait_20', models.IntegerField(default=0)),
                ('wait_21', models.IntegerField(default=0)),
                ('wait_22', models.IntegerField(default=0)),
                ('wait_23', models.IntegerField(default=0)),
                ('wait_24', models.IntegerField(default=0)),
                ('wait_25', models.IntegerField(default=0)),
                ('wait_26', models.IntegerField(default=0)),
                ('wait_27', models.IntegerField(default=0)),
                ('wait_28', models.IntegerField(default=0)),
                ('wait_29', models.IntegerField(default=0)),
                ('wait_30', models.IntegerField(default=0)),
                ('wait_31', models.IntegerField(default=0)),
                ('wait_32', models.IntegerField(default=0)),
                ('wait_33', models.IntegerField(default=0)),
                ('wait_34', models.IntegerField(default=0)),
                ('duration_00', models.IntegerField(default=0)),
                ('duration_01', models.IntegerField(default=0)),
                ('duration_02', models.IntegerField(default=0)),
                ('duration_03', models.IntegerField(default=0)),
                ('duration_04', models.IntegerField(default=0)),
                ('duration_05', models.IntegerField(default=0)),
                ('duration_06', models.IntegerField(default=0)),
                ('duration_07', models.IntegerField(default=0)),
                ('duration_08', models.IntegerField(default=0)),
                ('duration_09', models.IntegerField(default=0)),
                ('duration_10', models.IntegerField(default=0)),
                ('duration_11', models.IntegerField(default=0)),
                ('duration_12', models.IntegerField(default=0)),
                ('duration_13', models.IntegerField(default=0)),
                ('duration_14', models.IntegerField(default=0)),
                ('duration_15', models.IntegerField(default=0)),
                ('duration_16', models.IntegerField(default=0)),
                ('duration_17', models.IntegerField(default=0)),
                ('duration_18', models.IntegerField(default=0)),
                ('duration_19', models.IntegerField(default=0)),
                ('duration_20', models.IntegerField(default=0)),
                ('duration_21', models.IntegerField(default=0)),
                ('duration_22', models.IntegerField(default=0)),
                ('duration_23', models.IntegerField(default=0)),
                ('duration_24', models.IntegerField(default=0)),
                ('duration_25', models.IntegerField(default=0)),
                ('duration_26', models.IntegerField(default=0)),
                ('duration_27', models.IntegerField(default=0)),
            ],
            options={
                'verbose_name': 'latency histogram',
                'verbose_name_plural': 'latency histograms',
            },
        ),
        migrations.DeleteModel(
            name='LatencyBin',
        ),
        migrations.AddIndex(
            model_name='latencyhistogram',
            index=models.Index(condition=models.Q(('measured', 0)), fields=['bucket_start'], name='latency_histogram_empty'),
        ),
        migrations.AddConstraint(
            model_name='latencyhistogram',
            constraint=models.UniqueConstraint(fields=('grouping', 'channel', 'consultation_type', 'business_line', 'product_category', 'customer_tier', 'team', 'bucket_start'), name='latency_histogram_key'),
        ),
        migrations.RunPython(plan_rebuild, migrations.RunPython.noop),
    ]
