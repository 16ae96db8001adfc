from django.db import migrations


def load(apps, schema_editor):
    from zhiliang.inspections.catalogue import load_catalogue

    load_catalogue(apps.get_model("inspections", "ProductCategory"))


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
