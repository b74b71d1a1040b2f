from django.urls import path

from tests.testmodules.alpha import pages

app_name = "alpha_studio"
urlpatterns = [path("", pages.stock, name="stock")]
