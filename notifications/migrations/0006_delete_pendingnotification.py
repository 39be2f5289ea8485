from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_inbound_trust"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="PendingNotification"),
    ]
