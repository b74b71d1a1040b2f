from django.urls import path

from tests.testmodules.alpha import pages

app_name = "alpha_operator"
urlpatterns = [path("", pages.operator_home, name="home")]
