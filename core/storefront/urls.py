from django.urls import path

from core.storefront import views

app_name = "storefront"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("s/<slug:slug>/", views.seller, name="seller"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
]
