from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse(f"alpha storefront of {request.tenant.name}")


urlpatterns = [path("", index, name="alpha-index")]
