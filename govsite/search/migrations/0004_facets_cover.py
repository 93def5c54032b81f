from django.db import migrations

COLUMNS = "id, site_id, category, ctype, topic, year, issuer, validity"


def create(apps, schema_editor):
    """SQLite only: facet counts read these columns of thousands of matches from the index alone,
    without walking past each row's long text. PostgreSQL reads them with the bitmap heap scan
    that finds the matches, so the index would only slow its writes."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS govsearch_facets_cover ON govsearch_searchdocument ({COLUMNS})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP INDEX IF EXISTS govsearch_facets_cover")


class Migration(migrations.Migration):
    dependencies = [("govsearch", "0003_defaults")]

    operations = [migrations.RunPython(create, drop)]
