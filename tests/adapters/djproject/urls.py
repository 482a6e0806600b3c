from django.urls import include, path

from djproject.testapp import views

urlpatterns = [
    path("", include("django_socketio.urls")),
    path("", include("realtime.urls")),
    path("page/", views.page),
]
