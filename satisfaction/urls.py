from django.urls import path

from satisfaction import views

app_name = "satisfaction"

urlpatterns = [
    path("satisfaction/<str:survey_token>/", views.survey_answer, name="answer"),
]
