from django.urls import path, re_path

from . import (
    views,
    views_calendar,
    views_meetings,
    views_participants,
    views_programme,
    views_report,
    views_schedule,
)

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("events/new/", views.event_create, name="create"),
    path("events/calendar/<int:year>/<int:month>/", views_calendar.month_page, name="month"),
    # The agenda holds the user's events and their accepted 1:1 meetings.
    path("events/my/agenda.ics", views_meetings.my_agenda, name="my-agenda"),
    path("events/<int:pk>/", views.event_detail, name="detail"),
    path("events/registrations/not-me/<str:token>/", views.registration_not_me, name="not-me"),
    path("events/<int:pk>/register/", views.event_register, name="register"),
    path("events/<int:pk>/edit/", views.event_edit, name="edit"),
    path("events/<int:pk>/status/", views.event_status, name="status"),
    path("events/<int:pk>/participants/", views_participants.directory_page, name="participants"),
    path("events/<int:pk>/registrations/", views.event_registrations, name="registrations"),
    path(
        "events/<int:pk>/registrations/<int:registration_pk>/cancel/",
        views.registration_cancel,
        name="cancel-registration",
    ),
    re_path(r"^events/(?P<pk>\d+)/attendance\.(?P<fmt>csv|xlsx)$", views.event_attendance, name="attendance"),
    path("events/<int:pk>/event.ics", views.event_ics, name="ics"),
    # Roadshow programmes
    path("events/<int:pk>/programme/", views_programme.programme_page, name="programme"),
    path("events/<int:pk>/programme/apply/", views_programme.presentation_apply, name="apply"),
    path("events/<int:pk>/applications/", views_programme.applications_page, name="applications"),
    path(
        "events/<int:pk>/applications/<int:application_pk>/schedule/",
        views_programme.presentation_schedule,
        name="schedule-application",
    ),
    path(
        "events/<int:pk>/applications/<int:application_pk>/decline/",
        views_programme.presentation_decline,
        name="decline-application",
    ),
    # Docking meetings
    path("events/<int:pk>/grid/", views_meetings.grid_page, name="grid"),
    path("events/<int:pk>/grid/move/", views_meetings.meeting_move, name="move-meeting"),
    path("events/<int:pk>/grid/print/", views_meetings.table_schedule_page, name="table-schedule"),
    path("events/<int:pk>/meet/", views_meetings.meet_page, name="meet"),
    path("events/<int:pk>/meet/request/", views_meetings.meeting_request, name="request-meeting"),
    path("events/<int:pk>/meetings/<int:meeting_pk>/accept/", views_meetings.meeting_accept, name="accept-meeting"),
    path("events/<int:pk>/meetings/<int:meeting_pk>/decline/", views_meetings.meeting_decline, name="decline-meeting"),
    path("events/<int:pk>/meetings/<int:meeting_pk>/cancel/", views_schedule.meeting_cancel, name="cancel-meeting"),
    path("events/<int:pk>/meetings/<int:meeting_pk>/pin/", views_schedule.meeting_pin, name="pin-meeting"),
    path("events/<int:pk>/meet/breaks/", views_schedule.breaks_set, name="breaks"),
    path("events/<int:pk>/agenda/<int:registration_pk>/", views_schedule.agenda_print, name="agenda-print"),
    # The scheduler (organiser mode)
    path("events/<int:pk>/grid/settings/", views_schedule.scheduling_settings, name="scheduling-settings"),
    path("events/<int:pk>/grid/participant/", views_schedule.participant_limits, name="participant-limits"),
    path("events/<int:pk>/grid/agenda/", views_schedule.agenda_publish, name="publish-agenda"),
    path("events/<int:pk>/grid/schedule/", views_schedule.schedule_start, name="schedule"),
    path("events/<int:pk>/grid/schedule/<int:plan_pk>/", views_schedule.schedule_plan_page, name="schedule-plan"),
    path(
        "events/<int:pk>/grid/schedule/<int:plan_pk>/apply/", views_schedule.schedule_plan_apply, name="apply-plan"
    ),
    path(
        "events/<int:pk>/grid/schedule/<int:plan_pk>/discard/",
        views_schedule.schedule_plan_discard,
        name="discard-plan",
    ),
    # Outcomes
    path("events/<int:pk>/report/", views_report.report_page, name="report"),
    re_path(r"^events/(?P<pk>\d+)/report\.(?P<fmt>csv|xlsx)$", views_report.report_export, name="report-export"),
]
