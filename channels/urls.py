from django.urls import path

from channels import views

urlpatterns = [
    path("channels/<str:gateway>/<str:token>/sms/", views.sms_callback, name="sms_callback"),
    path("channels/<str:gateway>/<str:token>/ussd/", views.ussd_callback, name="ussd_callback"),
    path("profile/phone/", views.phone_page, name="phone"),
    path("profile/phone/confirm/", views.phone_confirm, name="phone_confirm"),
    path("profile/phone/resend/", views.phone_resend, name="phone_resend"),
    path("profile/phone/updates/", views.phone_updates, name="phone_updates"),
    path("profile/phone/remove/", views.phone_remove, name="phone_remove"),
    path("agencies/<str:code>/phones/import/", views.phone_import, name="phone_import"),
]
