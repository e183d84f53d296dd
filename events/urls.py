from django.urls import path, re_path

from . import views

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("events/new/", views.event_create, name="create"),
    path("events/my/agenda.ics", views.my_agenda, name="my-agenda"),
    path("events/<int:pk>/", views.event_detail, name="detail"),
    path("events/<int:pk>/register/", views.event_register, name="register"),
    path("events/<int:pk>/status/", views.event_status, name="status"),
    path("events/<int:pk>/registrations/", views.event_registrations, name="registrations"),
    path(
        "events/<int:pk>/registrations/<int:registration_pk>/cancel/",
        views.registration_cancel,
        name="cancel-registration",
    ),
    re_path(r"^events/(?P<pk>\d+)/attendance\.(?P<fmt>csv|xlsx)$", views.event_attendance, name="attendance"),
    path("events/<int:pk>/event.ics", views.event_ics, name="ics"),
]
