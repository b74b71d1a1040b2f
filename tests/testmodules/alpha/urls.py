from django.http import HttpResponse
from django.urls import path

from tests.testmodules.alpha import pages


def index(request):
    return HttpResponse(f"alpha storefront of {request.tenant.name}")


urlpatterns = [
    path("", index, name="alpha-index"),
    path("mine/", pages.my_items, name="alpha-mine"),
]
