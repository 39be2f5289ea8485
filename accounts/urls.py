from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.profile, name="profile"),
    path("acting-as/", views.membership_switch, name="membership_switch"),
]
