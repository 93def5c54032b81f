"""Art. 16 names government meetings (政府会议) as a kind of information with its own reviewer."""

from django.db import migrations


def add(apps, schema_editor):
    ColumnCategory = apps.get_model("content", "ColumnCategory")
    ColumnCategory.objects.update_or_create(
        code="meetings",
        defaults=dict(
            name="政府会议",
            update_within_days=None,
            long_stale_days=None,
            veto_group="",
            top_level_only=False,
            rule_note="第十六条：政府会议信息须由市政府办公室分管领导审核后上网发布。",
            sort_order=17,
        ),
    )


class Migration(migrations.Migration):
    dependencies = [("content", "0005_review_chain")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
