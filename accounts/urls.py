from django.urls import path

from accounts import token_views, views

urlpatterns = [
    path("", views.profile, name="profile"),
    path("acting-as/", views.membership_switch, name="membership_switch"),
    path("tokens/", token_views.api_tokens, name="api_tokens"),
    path(
        "tokens/<int:token_id>/revoke/",
        token_views.api_token_revoke_view,
        name="api_token_revoke",
    ),
]
