from django.urls import path

from service_levels import views as calendar_views

urlpatterns = [
    # Calendars and service levels: an agency's, and the government's own (no code).
    path("calendar/", calendar_views.calendar, name="national_calendar"),
    path("calendar/holidays/", calendar_views.holiday_add, name="national_holiday_add"),
    path(
        "calendar/holidays/remove/",
        calendar_views.holiday_remove,
        name="national_holiday_remove",
    ),
    path("agencies/<str:code>/calendar/", calendar_views.calendar, name="agency_calendar"),
    path(
        "agencies/<str:code>/calendar/holidays/",
        calendar_views.holiday_add,
        name="agency_holiday_add",
    ),
    path(
        "agencies/<str:code>/calendar/holidays/remove/",
        calendar_views.holiday_remove,
        name="agency_holiday_remove",
    ),
    path(
        "agencies/<str:code>/calendar/auto-close/",
        calendar_views.auto_close,
        name="agency_auto_close",
    ),
    path("service-levels/", calendar_views.service_levels, name="national_service_levels"),
    path("service-levels/levels/", calendar_views.escalation_add, name="national_escalation_add"),
    path(
        "service-levels/levels/remove/",
        calendar_views.escalation_remove,
        name="national_escalation_remove",
    ),
    path(
        "agencies/<str:code>/service-levels/",
        calendar_views.service_levels,
        name="agency_service_levels",
    ),
    path(
        "agencies/<str:code>/service-levels/levels/",
        calendar_views.escalation_add,
        name="agency_escalation_add",
    ),
    path(
        "agencies/<str:code>/service-levels/levels/remove/",
        calendar_views.escalation_remove,
        name="agency_escalation_remove",
    ),
]
