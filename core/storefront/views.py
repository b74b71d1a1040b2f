from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The marketplace's front page; branding and modules come from the context processor."""
    return render(request, "storefront/home.html")
