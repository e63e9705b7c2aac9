"""TopologyVersion.size_bytes (what the owner's quota counts), measured here for the versions
stored before: the length of each document's JSON text."""

import json

from django.db import migrations, models


def measure_versions(apps, schema_editor):  # type: ignore[no-untyped-def]
    TopologyVersion = apps.get_model("designer", "TopologyVersion")
    for version in TopologyVersion.objects.only("pk", "document").iterator(chunk_size=200):
        TopologyVersion.objects.filter(pk=version.pk).update(size_bytes=len(json.dumps(version.document)))


class Migration(migrations.Migration):

    dependencies = [
        ('designer', '0002_topology_template'),
    ]

    operations = [
        migrations.AddField(
            model_name='topologyversion',
            name='size_bytes',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(measure_versions, migrations.RunPython.noop),
    ]
