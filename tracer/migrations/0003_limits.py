"""Run.limit (the limit that stopped a run) and Run.stored_bytes (what the owner's quota counts),
measured here for the runs stored before: their snapshot, replay log and traces as JSON text."""

import json

from django.db import migrations, models
from django.db.models import Sum
from django.db.models.functions import Length


def measure_stored_bytes(apps, schema_editor):  # type: ignore[no-untyped-def]
    Run = apps.get_model("tracer", "Run")
    for run in Run.objects.only("pk", "document", "workload").iterator(chunk_size=100):
        events = run.events.aggregate(size=Sum(Length("body")))["size"] or 0
        traces = run.traces.aggregate(size=Sum(Length("segments")))["size"] or 0
        snapshot = len(json.dumps(run.document)) + len(json.dumps(run.workload))
        Run.objects.filter(pk=run.pk).update(stored_bytes=snapshot + events + traces)


class Migration(migrations.Migration):

    dependencies = [
        ('tracer', '0002_lean_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='run',
            name='limit',
            field=models.CharField(blank=True, choices=[('messages', 'Messages'), ('stored_traces', 'Stored Traces'), ('events', 'Events'), ('bytes', 'Bytes'), ('quota', 'Quota')], default='', max_length=20),
        ),
        migrations.AddField(
            model_name='run',
            name='stored_bytes',
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(measure_stored_bytes, migrations.RunPython.noop),
    ]
