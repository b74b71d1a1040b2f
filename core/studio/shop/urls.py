"""The studio's shop pages: team, integration (core/integrations' pages, mounted here) and
the public profile."""

from django.urls import URLPattern, URLResolver, path

from core.integrations.urls import seller_urlpatterns as integration
from core.studio.shop import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("team/", views.team_page, name="team"),
    path("team/invitations/", views.invite, name="team_invite"),
    path("team/<int:member_id>/", views.update_member, name="team_member"),
    path("team/<int:member_id>/remove/", views.remove_member, name="team_remove"),
    *integration,
    path("profile/", views.profile_page, name="profile"),
    path("profile/save/", views.save_profile, name="profile_save"),
]
