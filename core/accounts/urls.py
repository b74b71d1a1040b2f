from django.urls import path

from core.accounts import operator_views, views

app_name = "accounts"
urlpatterns = [
    path("handoff/", views.login_handoff, name="handoff"),
    path("signup/", views.sign_up_page, name="sign_up"),
    path("verify/resend/", views.resend_verification, name="resend_verification"),
    path("verify/<str:token>/", views.verify_email_page, name="verify_email"),
    path("login/", views.login_page, name="login"),
    path("login/code/", views.login_code_page, name="login_code"),
    path("logout/", views.logout_page, name="logout"),
    path("reset/", views.password_reset_page, name="password_reset"),
    path(
        "reset/<str:uid>/<str:token>/",
        views.password_reset_confirm_page,
        name="password_reset_confirm",
    ),
    path("profile/", views.profile_page, name="profile"),
    path("profile/password/", views.change_password_page, name="change_password"),
    path("two-factor/", views.two_factor_page, name="two_factor"),
    path("two-factor/start/", views.two_factor_start, name="two_factor_start"),
    path("two-factor/confirm/", views.two_factor_confirm, name="two_factor_confirm"),
    path("two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("tokens/", views.tokens_page, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token_page, name="revoke_token"),
]

# Mounted under /operator/ (namespace "operator") by core/urls.py, beside the seller review.
operator_urlpatterns = [
    path("users/", operator_views.operator_users, name="users"),
    path("users/<int:user_id>/", operator_views.operator_user, name="user"),
    path("users/<int:user_id>/suspend/", operator_views.operator_suspend_user, name="suspend_user"),
    path(
        "users/<int:user_id>/reinstate/",
        operator_views.operator_reinstate_user,
        name="reinstate_user",
    ),
]
