"""Pass tallies per place (where sampled, where made) instead of per sampling district ×
producer region: the cells no longer multiply (a million generated samples made
~400,000 of them, now at most ~40,000 a year). The cells are recounted from the
samples (what ``zhiliang inspections retally`` does)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Q


def empty(apps, schema_editor):
    apps.get_model("inspections", "PassTally").objects.all().delete()


def recount(apps, schema_editor):
    Sample = apps.get_model("inspections", "Sample")
    PassTally = apps.get_model("inspections", "PassTally")
    tested = Sample.objects.exclude(final_conclusion="")
    cells = []
    for place, column in (("sampled", "sampling_district_id"), ("made", "producer_region")):
        rows = tested.values("sampled_on__year", "category_id", column, "channel").annotate(
            t=Count("id"), p=Count("id", filter=Q(final_conclusion="pass"))
        )
        cells += [
            PassTally(
                year=r["sampled_on__year"],
                category_id=r["category_id"],
                place=place,
                region=r[column] or "",
                channel=r["channel"],
                tested=r["t"],
                passed=r["p"],
            )
            for r in rows
        ]
    PassTally.objects.bulk_create(cells, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0003_sample_bulk_load"),
    ]

    operations = [
        migrations.RunPython(empty, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="passtally", name="tally_once_per_cell"),
        migrations.RemoveField(model_name="passtally", name="sampling_district"),
        migrations.RemoveField(model_name="passtally", name="producer_region"),
        migrations.AlterField(
            model_name="passtally",
            name="category",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                to="inspections.productcategory",
            ),
        ),
        migrations.AddField(
            model_name="passtally",
            name="place",
            field=models.CharField(
                choices=[("sampled", "抽样地区"), ("made", "生产者所在地区")],
                default="sampled",
                max_length=8,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="passtally",
            name="region",
            field=models.CharField(blank=True, default="", max_length=12),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="passtally",
            constraint=models.UniqueConstraint(
                fields=("year", "place", "category", "region", "channel"),
                name="tally_once_per_cell",
            ),
        ),
        migrations.RunPython(recount, migrations.RunPython.noop),
    ]
