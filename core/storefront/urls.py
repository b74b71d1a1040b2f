from django.urls import path

from core.storefront import reviews, views

app_name = "storefront"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggestions, name="search_suggestions"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("s/<slug:slug>/", views.seller, name="seller"),
    path("review/<int:line_id>/", reviews.write_review, name="write_review"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
]
