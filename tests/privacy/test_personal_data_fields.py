"""Every text or contact field of a model that holds a person's data is marked, one way or the
other: a new field nobody has thought about fails here."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

PROJECT_APPS = {
    "accounts",
    "agencies",
    "channels",
    "core",
    "incidents",
    "knowledge",
    "mail",
    "notifications",
    "privacy",
    "reports",
    "satisfaction",
    "service_levels",
    "tickets",
    "webhooks",
    "workspace",
}
# Text, contact and free-form fields: CharField covers e-mail, URL, slug and phone numbers
# kept as text.
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.GenericIPAddressField)


def models_holding_personal_data():
    user_model = get_user_model()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        points_at_a_person = model is user_model or any(
            field.is_relation and field.related_model is user_model
            for field in model._meta.concrete_fields
        )
        if points_at_a_person or hasattr(model, "personal_data_fields"):
            yield model


def unmarked_fields(model) -> list[str]:
    marked = set(getattr(model, "personal_data_fields", ())) | set(
        getattr(model, "not_personal_fields", ())
    )
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, TEXT_FIELDS) and not field.choices and field.name not in marked
    ]


def test_it_finds_the_models_that_hold_personal_data():
    labels = {model._meta.label for model in models_holding_personal_data()}
    assert {"accounts.User", "tickets.Ticket", "tickets.TicketEvent", "mail.Outbox"} <= labels


@pytest.mark.parametrize(
    "model", list(models_holding_personal_data()), ids=lambda model: model._meta.label
)
def test_every_text_field_of_a_model_holding_personal_data_is_marked(model):
    assert unmarked_fields(model) == [], (
        f"{model._meta.label}: add these fields to personal_data_fields (they may hold a "
        "person's data) or to not_personal_fields"
    )


@pytest.mark.parametrize(
    "model", list(models_holding_personal_data()), ids=lambda model: model._meta.label
)
def test_every_marked_field_exists(model):
    names = {field.name for field in model._meta.concrete_fields}
    marked = set(getattr(model, "personal_data_fields", ())) | set(
        getattr(model, "not_personal_fields", ())
    )
    assert marked <= names


def test_it_fails_for_an_unmarked_text_field():
    class Unmarked(models.Model):
        person = models.ForeignKey(get_user_model(), on_delete=models.CASCADE)
        nickname = models.CharField(max_length=50)
        personal_data_fields = ()

        class Meta:
            app_label = "privacy"
            managed = False

        def __str__(self) -> str:
            return self.nickname

    try:
        assert unmarked_fields(Unmarked) == ["nickname"]
    finally:
        apps.all_models["privacy"].pop("unmarked", None)
        apps.clear_cache()
