from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path(
        "dashboard/export/<str:code>/<slug:table>.csv",
        views.dashboard_export,
        name="dashboard_export",
    ),
    path("council/", views.council, name="council"),
    # One address per table: the Council's exports name no object, so none takes an argument.
    *(
        path(
            f"council/export/{table}.csv",
            views.council_export,
            {"table": table},
            name=f"council_export_{table}",
        )
        for table in views.COUNCIL_TABLES
    ),
    path(
        "council/export/league.xlsx",
        views.council_export,
        {"table": "league", "fmt": "xlsx"},
        name="council_export_league_xlsx",
    ),
]
