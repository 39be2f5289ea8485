"""One time zone per agency: the agency's own. An agency whose own calendar kept another zone
takes the calendar's, the one its clocks have used, so no due time moves."""

from django.db import migrations


def agency_takes_its_calendars_zone(apps, schema_editor):
    BusinessCalendar = apps.get_model("service_levels", "BusinessCalendar")
    Agency = apps.get_model("agencies", "Agency")
    for calendar in BusinessCalendar.objects.filter(agency__isnull=False).select_related("agency"):
        if calendar.agency.time_zone != calendar.time_zone:
            Agency.objects.filter(pk=calendar.agency_id).update(time_zone=calendar.time_zone)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0001_initial"),
        ("service_levels", "0002_sla_recompute"),
    ]

    operations = [
        migrations.RunPython(agency_takes_its_calendars_zone, migrations.RunPython.noop),
    ]
