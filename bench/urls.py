from django.urls import path

from bench import views
from helpdesk.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("bench/ceiling/", views.ceiling, name="bench_ceiling"),
    *project_urlpatterns,
]
