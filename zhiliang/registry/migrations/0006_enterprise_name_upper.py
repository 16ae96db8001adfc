"""The name search reads a stored upper-cased name (PostgreSQL only).

Migration 0005's indexes are on ``upper(name)``; a search that reads the table instead
(a fragment so common that reading until 201 names match is quicker than the index: 有限,
食品有限公司) worked ``upper()`` out for every row it passed, which was 70 % of the
reading (0.32 of 0.45 µs a row, over a million names). ``name_upper`` is a generated
column, ``upper(name)`` stored: PostgreSQL keeps it, the indexes move onto it under
their old names, and :func:`zhiliang.registry.selectors.enterprises_named` compares with
it. The model does not know the column (Django reads and writes only ``name``); a later
change of ``name``'s type must drop it first and add it back (PostgreSQL refuses to
change a column a generated column reads). SQLite keeps reading ``name``."""

from django.db import migrations

FORWARD = [
    "ALTER TABLE registry_enterprise ADD COLUMN name_upper text"
    " GENERATED ALWAYS AS (upper(name::text)) STORED",
    "DROP INDEX IF EXISTS registry_enterprise_name_trgm",
    "DROP INDEX IF EXISTS registry_enterprise_name_bigrams",
    "CREATE INDEX registry_enterprise_name_trgm ON registry_enterprise"
    " USING gin (name_upper gin_trgm_ops)",
    "CREATE INDEX registry_enterprise_name_bigrams ON registry_enterprise"
    " USING gin (zhiliang_bigrams(name_upper))",
    # statistics of the new column and index expression, for choosing index or table
    "ANALYZE registry_enterprise",
]
BACKWARD = [
    "DROP INDEX IF EXISTS registry_enterprise_name_trgm",
    "DROP INDEX IF EXISTS registry_enterprise_name_bigrams",
    "ALTER TABLE registry_enterprise DROP COLUMN IF EXISTS name_upper",
    "CREATE INDEX registry_enterprise_name_trgm ON registry_enterprise"
    " USING gin (upper(name) gin_trgm_ops)",
    "CREATE INDEX registry_enterprise_name_bigrams ON registry_enterprise"
    " USING gin (zhiliang_bigrams(upper(name)))",
    "ANALYZE registry_enterprise",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_enterprise_name_search"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
