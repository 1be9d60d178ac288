from django.urls import path

from . import views

app_name = "timelines"

urlpatterns = [
    path("timelines/<slug:slug>/", views.timeline_detail, name="timeline"),
]
