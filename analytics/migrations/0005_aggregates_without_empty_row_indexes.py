from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0004_latency_histogram_rows'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='latencyhistogram',
            name='latency_histogram_empty',
        ),
        migrations.RemoveIndex(
            model_name='trafficaggregate',
            name='traffic_aggregate_empty',
        ),
    ]
