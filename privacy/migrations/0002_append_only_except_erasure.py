from django.db import migrations

# The access log is evidence, as ticket events are: the database refuses to change or remove
# an entry. One exception for both: a transaction that has declared itself an erasure or a
# retention run (SET LOCAL govdesk.erasure = 'on', privacy/services.py) may pseudonymise them.
ACCESS_LOG = """
CREATE FUNCTION privacy_accesslogentry_append_only() RETURNS trigger AS $$
BEGIN
    IF current_setting('govdesk.erasure', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the access log is append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER privacy_accesslogentry_append_only
    BEFORE UPDATE OR DELETE ON privacy_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION privacy_accesslogentry_append_only();
"""

ACCESS_LOG_REVERSE = """
DROP TRIGGER IF EXISTS privacy_accesslogentry_append_only ON privacy_accesslogentry;
DROP FUNCTION IF EXISTS privacy_accesslogentry_append_only();
"""

TICKET_EVENTS = """
CREATE OR REPLACE FUNCTION tickets_ticketevent_append_only() RETURNS trigger AS $$
BEGIN
    IF current_setting('govdesk.erasure', true) = 'on' AND TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ticket events are append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

TICKET_EVENTS_REVERSE = """
CREATE OR REPLACE FUNCTION tickets_ticketevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ticket events are append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_data_protection"),
        ("tickets", "0002_ticketevent_append_only"),
    ]

    operations = [
        migrations.RunSQL(ACCESS_LOG, ACCESS_LOG_REVERSE),
        migrations.RunSQL(TICKET_EVENTS, TICKET_EVENTS_REVERSE),
    ]
