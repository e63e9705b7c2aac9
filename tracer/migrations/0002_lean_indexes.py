"""Fewer indexes on the rows a run writes in bulk, and lz4 for their large texts on PostgreSQL.

A run's writes cost the database server more than the worker (docs/benchmarks.md, "The run
stream"): each Trace row went through eight indexes, four of them covered by the (run, ...) ones;
and PostgreSQL compressed every replay-log event (about 100 KB) with its default pglz, several
times slower than lz4 (PostgreSQL 14 and later, when built with it: Debian's is).
"""

import django.db.models.deletion
from django.db import migrations, models

LZ4 = [("tracer_runevent", "body"), ("tracer_trace", "segments")]


def compress_with_lz4(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
        if cursor.fetchone() is None:
            return  # a server built without lz4 keeps pglz
        for table, column in LZ4:
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def compress_with_pglz(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    if connection.vendor == "postgresql" and connection.pg_version >= 140000:
        with connection.cursor() as cursor:
            for table, column in LZ4:
                cursor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION pglz")


class Migration(migrations.Migration):

    dependencies = [
        ('tracer', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='runevent',
            name='run',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='tracer.run'),
        ),
        migrations.AlterField(
            model_name='trace',
            name='duration_ms',
            field=models.FloatField(),
        ),
        migrations.AlterField(
            model_name='trace',
            name='run',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='traces', to='tracer.run'),
        ),
        migrations.AlterField(
            model_name='trace',
            name='trace_id',
            field=models.CharField(max_length=40),
        ),
        migrations.RunPython(compress_with_lz4, compress_with_pglz),
    ]
