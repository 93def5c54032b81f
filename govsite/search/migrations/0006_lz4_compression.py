"""PostgreSQL: the long columns (the body excerpt, the lexemes) compressed with lz4 instead of pglz.

pglz is slow to compress: on a bulk build it cost more CPU than the rest of the row's writing, and
every search that reads body excerpts pays to decompress them. lz4 is several times faster both
ways for a slightly larger file. Only values written from now on use it (a reindex rewrites all);
new partitions inherit the parent's setting. A server built without lz4 keeps pglz.
"""

from django.db import migrations

from govsite.search import index

LZ4_AVAILABLE = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"


def use_lz4(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(LZ4_AVAILABLE)
        row = cursor.fetchone()
        if not (row and row[0]):
            return
        cursor.execute(f"ALTER TABLE {index.TABLE} ALTER COLUMN body SET COMPRESSION lz4")
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            f"WHERE i.inhparent = '{index.VECTOR_TABLE}'::regclass"
        )
        tables = [index.VECTOR_TABLE, *(name for (name,) in cursor.fetchall())]
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN vector SET COMPRESSION lz4")


class Migration(migrations.Migration):
    dependencies = [("govsearch", "0005_vector_partitions")]

    operations = [migrations.RunPython(use_lz4, migrations.RunPython.noop)]
