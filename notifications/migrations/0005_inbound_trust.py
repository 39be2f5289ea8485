from django.db import migrations, models


def keys_for_earlier_messages(apps, schema_editor):
    # A message received before keeps its raw digest as its key: it stays unique, and a
    # message arriving now, keyed by mailbox, sender and content, can no longer match it.
    InboundMessage = apps.get_model("notifications", "InboundMessage")
    InboundMessage.objects.update(dedup_key=models.F("digest"))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_pending_notification"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="inboundmessage",
            name="inboundmessage_message_id_once",
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="dedup_key",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(keys_for_earlier_messages, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="inboundmessage",
            constraint=models.UniqueConstraint(
                fields=("dedup_key",), name="inboundmessage_dedup_key_once"
            ),
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="sender_check",
            field=models.CharField(
                blank=True,
                choices=[
                    ("passed", "Sender verified"),
                    ("failed", "Sender failed its checks"),
                    ("", "Sender not checked"),
                ],
                default="",
                max_length=8,
                verbose_name="sender check",
            ),
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="sender_check_detail",
            field=models.TextField(blank=True, verbose_name="sender check details"),
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="reason_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "None"),
                    ("loop", "Sent by GovDesk itself"),
                    ("auto_reply", "Automatic reply"),
                    ("bounce", "Delivery report"),
                    ("no_sender", "No sender"),
                    ("unknown_sender", "Sender has no account"),
                    ("inactive_sender", "Sender's account is inactive"),
                    ("reply_not_allowed", "Sender may not reply to the ticket"),
                    ("no_category", "No category for new tickets"),
                    ("attachment_refused", "An attachment was refused"),
                    ("too_large", "Message too large"),
                    ("no_text", "No text"),
                    ("refused", "The ticket refused it"),
                    ("error", "Could not be handled"),
                    ("sender_unverified", "Sender not verified"),
                ],
                max_length=20,
            ),
        ),
    ]
