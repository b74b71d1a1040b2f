"""The ledger's invariants in the database, not only in Python:

* an entry's lines sum to zero per currency - a deferred constraint trigger checks every
  touched entry at commit, so lines may be inserted in several statements;
* journal rows are append-only - UPDATE and DELETE raise.

Table names are qualified with TG_TABLE_SCHEMA: the functions live in every tenant schema
(pool schemas are renamed, so nothing schema-specific may be baked in)."""

from django.db import migrations

BALANCE_CHECK = """
CREATE FUNCTION souk_journal_entry_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    unbalanced record;
BEGIN
    EXECUTE format(
        'SELECT currency, sum(amount) AS total FROM %I.payments_journalline '
        'WHERE entry_id = $1 GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1',
        TG_TABLE_SCHEMA
    ) INTO unbalanced USING NEW.entry_id;
    IF unbalanced.currency IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % is unbalanced in %: lines sum to %',
            NEW.entry_id, unbalanced.currency, unbalanced.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER journal_entry_balanced
    AFTER INSERT ON payments_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION souk_journal_entry_balanced();

CREATE FUNCTION souk_journal_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER journal_line_append_only
    BEFORE UPDATE OR DELETE ON payments_journalline
    FOR EACH ROW EXECUTE FUNCTION souk_journal_append_only();
CREATE TRIGGER journal_entry_append_only
    BEFORE UPDATE OR DELETE ON payments_journalentry
    FOR EACH ROW EXECUTE FUNCTION souk_journal_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS journal_entry_append_only ON payments_journalentry;
DROP TRIGGER IF EXISTS journal_line_append_only ON payments_journalline;
DROP TRIGGER IF EXISTS journal_entry_balanced ON payments_journalline;
DROP FUNCTION IF EXISTS souk_journal_append_only();
DROP FUNCTION IF EXISTS souk_journal_entry_balanced();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(BALANCE_CHECK, REVERSE)]
