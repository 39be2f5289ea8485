from django.db import migrations

# History is evidence: the database itself refuses to change or remove a ticket event, so
# neither a bug nor a hand-written query can rewrite what happened.
FORBID_CHANGES = """
CREATE FUNCTION tickets_ticketevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ticket events are append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_ticketevent_append_only
    BEFORE UPDATE OR DELETE ON tickets_ticketevent
    FOR EACH ROW EXECUTE FUNCTION tickets_ticketevent_append_only();
"""

ALLOW_CHANGES = """
DROP TRIGGER IF EXISTS tickets_ticketevent_append_only ON tickets_ticketevent;
DROP FUNCTION IF EXISTS tickets_ticketevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunSQL(FORBID_CHANGES, ALLOW_CHANGES)]
