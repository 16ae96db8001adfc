"""The name indexes split into three tiers by id (PostgreSQL only).

A GIN index finds every entry it holds for a fragment before the first row is read: for
a fragment found in 20,000 of a million names, the public query (which needs 201) paid
for 20,000, 5-12 ms, and reading the table until 201 match cost as much for such
fragments. Each of the two name indexes of 0005/0006 (trigrams for three characters or
more, character pairs for two) is replaced here by three partial indexes on disjoint
tiers of the enterprises by id: 1 in 256, 15 in 256, the other 15 in 16.
:func:`zhiliang.registry.selectors.enterprises_named_tiered_sql` asks them in that order
under one LIMIT and stops when it has enough, so a fragment in more than about 5 % of the
names is answered from 1 in 256 of them, one in more than 0.3 % from 1 in 16 (on the
public query's mix of 1M GENERATED names: 1.5 → 0.9 ms of
PostgreSQL's time a name statement; see README "Performance").

The conditions are ``zhiliang.registry.selectors.NAME_TIERS``'s, written out here as
they were when this migration was made; a test holds the indexes and the selectors'
tiers together. The same indexes' total size as before: each name is in one tier.
SQLite has no such indexes.
"""

from django.db import migrations

TIERS = ("id % 256 = 0", "id % 16 = 0 AND id % 256 <> 0", "id % 16 <> 0")
EXPRESSIONS = {
    "registry_enterprise_name_trgm": "name_upper gin_trgm_ops",
    "registry_enterprise_name_bigrams": "zhiliang_bigrams(name_upper)",
}

# The new indexes first, the old ones dropped last: building an index only holds up
# writes to the table, dropping one holds up its reads too until the migration's
# transaction ends, so the drop comes at the very end of it.
FORWARD = [
    *(
        f"CREATE INDEX {name}_{n} ON registry_enterprise USING gin ({expression}) WHERE {tier}"
        for name, expression in EXPRESSIONS.items()
        for n, tier in enumerate(TIERS)
    ),
    "ANALYZE registry_enterprise",
    *(f"DROP INDEX IF EXISTS {name}" for name in EXPRESSIONS),
]
BACKWARD = [
    *(
        f"CREATE INDEX {name} ON registry_enterprise USING gin ({expression})"
        for name, expression in EXPRESSIONS.items()
    ),
    "ANALYZE registry_enterprise",
    *(f"DROP INDEX IF EXISTS {name}_{n}" for name in EXPRESSIONS for n in range(len(TIERS))),
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
        ("registry", "0006_enterprise_name_upper"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
