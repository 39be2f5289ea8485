"""The REST API v1 router: every app's viewsets registered under /api/v1/."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
