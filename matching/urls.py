from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("matches/", views.match_list, name="list"),
    path("matches/<int:pk>/", views.match_detail, name="detail"),
    path("matches/<int:pk>/accept/", views.match_accept, name="accept"),
    path("matches/<int:pk>/decline/", views.match_decline, name="decline"),
    path("matches/<int:pk>/agreement/", views.agreement_create, name="agreement"),
]
