from django.contrib.auth import views as auth_views
from django.urls import path

from core.accounts import views

app_name = "accounts"
urlpatterns = [
    path("handoff/", views.login_handoff, name="handoff"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
]
