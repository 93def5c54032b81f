import django.db.models.deletion
import govsite.search.models
from django.db import migrations, models

from govsite.search import index

# The table as this migration made it (0007 replaced the tsvector with term ids).
VECTOR_TABLE_SQL = (
    f"CREATE TABLE {index.VECTOR_TABLE} (id bigint NOT NULL PRIMARY KEY, site_id bigint NULL, "
    "category varchar(40) NOT NULL, ctype varchar(20) NOT NULL, topic varchar(60) NOT NULL, "
    "year smallint NULL CHECK (year >= 0), issuer varchar(100) NOT NULL, validity varchar(16) NOT NULL, "
    "vector tsvector NULL) PARTITION BY RANGE (id)"
)
GIN_SQL = (
    f"CREATE INDEX IF NOT EXISTS {index.GIN_INDEX} ON {index.VECTOR_TABLE} USING gin (vector) "
    "WITH (fastupdate = on)"
)

def partition_on_postgresql(apps, schema_editor):
    """PostgreSQL: the plain table Django created becomes a table partitioned by id, filled from the
    documents' old vector column; the old GIN index goes with that column."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TABLE {index.VECTOR_TABLE}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {index.GIN_INDEX}")  # the old one, on the documents' column
    schema_editor.execute(VECTOR_TABLE_SQL)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {index.TABLE}")
        index.ensure_partitions(cursor.fetchone()[0], cursor)
        cursor.execute(
            f"INSERT INTO {index.VECTOR_TABLE} (id, {', '.join(index.FACET_COLUMNS)}, vector) "
            f"SELECT id, {', '.join(index.FACET_COLUMNS)}, vector FROM {index.TABLE} WHERE vector IS NOT NULL"
        )
        cursor.execute(GIN_SQL)




class Migration(migrations.Migration):

    dependencies = [
        ('govsearch', '0004_facets_cover'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchVector',
            fields=[
                ('document', models.OneToOneField(db_column='id', db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='govsearch.searchdocument')),
                ('site_id', models.BigIntegerField(null=True)),
                ('category', models.CharField(blank=True, max_length=40)),
                ('ctype', models.CharField(blank=True, max_length=20)),
                ('topic', models.CharField(blank=True, max_length=60)),
                ('year', models.PositiveSmallIntegerField(null=True)),
                ('issuer', models.CharField(blank=True, max_length=100)),
                ('validity', models.CharField(blank=True, max_length=16)),
                ('vector', govsite.search.models.TsVectorField(null=True)),
            ],
            options={
                'db_table': 'govsearch_vector',
            },
        ),
        migrations.RunPython(partition_on_postgresql, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='searchdocument',
            name='vector',
        ),
    ]
