"""Storefront pages: learning (included by ``urls.py``, namespace ``courses``)."""

from django.urls import path

from modules.courses import learn_pages

urlpatterns = [
    path("mine/", learn_pages.mine, name="mine"),
]
