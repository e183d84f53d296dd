from django.urls import path

from . import views

app_name = "catalogues"

urlpatterns = [
    path("collections/", views.collection_list, name="list"),
    path("collections/new/", views.collection_create, name="create"),
    path("collections/<int:pk>/", views.collection_detail, name="detail"),
    path("collections/<int:pk>/catalogue/", views.collection_catalogue, name="catalogue"),
    path("collections/<int:pk>/export.xlsx", views.collection_export, name="export"),
    path("collections/<int:pk>/edit/", views.collection_edit, name="edit"),
    path("collections/<int:pk>/publish/", views.collection_publish, name="publish"),
    path("collections/<int:pk>/items/<int:item_id>/", views.collection_item_action, name="item"),
]
