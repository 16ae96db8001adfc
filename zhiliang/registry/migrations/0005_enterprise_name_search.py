"""Indexes for the public search of enterprises by part of the name (PostgreSQL only).

``name__icontains`` is ``UPPER(name) LIKE '%…%'``, which no B-tree can serve: over a
million enterprises every query read the whole table (issue 5: < 50 ms at p95). Two GIN
indexes serve it instead (``zhiliang.registry.selectors.enterprises_named``):

- a trigram index (pg_trgm) on ``upper(name)`` for fragments of three characters or more;
  the LIKE itself uses it. pg_trgm takes trigrams only from characters the database's
  LC_CTYPE counts as letters or digits: Chinese characters are, under C.UTF-8 (Debian,
  glibc ≥ 2.35, the test cluster of ``scripts/pg.sh``), zh_CN.UTF-8 or en_US.UTF-8, but
  not under the "C" or "POSIX" locale, where the index would find nothing to use (a
  warning is printed then; the search still works, by reading the table);
- pg_trgm cannot serve two characters (a trigram needs three), so a bigram index:
  ``zhiliang_bigrams(upper(name))``, the array of the name's character pairs.

pg_trgm is a trusted extension (PostgreSQL ≥ 13): a role with CREATE on the database (its
owner, for one) may create it. A role that may not is told to have a superuser run
``CREATE EXTENSION pg_trgm`` in the database once; the migration then goes on.

SQLite keeps reading the table (it has no such indexes; its databases are small).
"""

from django.db import migrations

BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION zhiliang_bigrams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT ARRAY(
        SELECT pg_catalog.substr($1, i, 2)
        FROM pg_catalog.generate_series(1, pg_catalog.char_length($1) - 1) AS i
    )
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cur.fetchone() is None:
            cur.execute(
                "SELECT has_database_privilege(current_database(), 'CREATE')"
                " OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
            )
            if not cur.fetchone()[0]:
                raise RuntimeError(
                    "registry 0004 needs the pg_trgm extension, and this database role may "
                    "not create it: have a superuser run CREATE EXTENSION pg_trgm; in this "
                    "database once, then migrate again."
                )
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cur.execute("SELECT pg_catalog.array_length(show_trgm('重庆'), 1)")
        if not cur.fetchone()[0]:
            print(
                "\n  warning: this database's LC_CTYPE does not count Chinese characters as "
                "letters; the trigram index cannot serve Chinese name searches (they still "
                "work, reading the table). Use a database created with C.UTF-8 or zh_CN.UTF-8."
            )
        cur.execute(BIGRAMS_FUNCTION)
        cur.execute(
            "CREATE INDEX registry_enterprise_name_trgm ON registry_enterprise "
            "USING gin (upper(name) gin_trgm_ops)"
        )
        cur.execute(
            "CREATE INDEX registry_enterprise_name_bigrams ON registry_enterprise "
            "USING gin (zhiliang_bigrams(upper(name)))"
        )
        # The planner's statistics of the two indexed expressions (how common a pair or
        # a fragment is) come only with ANALYZE, which a new index does not trigger; with
        # them a common fragment is looked for by reading the table until enough are
        # found, a rare one through the index.
        cur.execute("ANALYZE registry_enterprise")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute("DROP INDEX IF EXISTS registry_enterprise_name_bigrams")
        cur.execute("DROP INDEX IF EXISTS registry_enterprise_name_trgm")
        cur.execute("DROP FUNCTION IF EXISTS zhiliang_bigrams(text)")
        # pg_trgm stays: other objects may use it, and dropping needs its owner.


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_enterprise_district_id"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
