from django.db import migrations


def create(apps, schema_editor):
    from govsite.search import index

    index.create_schema(schema_editor)


def drop(apps, schema_editor):
    from govsite.search import index

    index.drop_schema(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("govsearch", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
