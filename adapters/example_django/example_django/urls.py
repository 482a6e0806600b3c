from django.contrib.auth import views as auth_views
from django.urls import include, path

from chat import views

urlpatterns = [
    path("", include("django_socketio.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(
        template_name="chat/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/"),
         name="logout"),
    path("", views.rooms, name="rooms"),
    path("create/", views.create, name="create"),
    path("system_message/", views.system_message, name="system_message"),
    path("<slug:slug>/", views.room, name="room"),
]
