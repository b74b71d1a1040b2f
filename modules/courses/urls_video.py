"""Storefront pages: video (included by ``urls.py``, namespace ``courses``). The playlists
name their neighbours relatively (``540p/index.m3u8``, ``seg_0000.ts``, ``../key``), so these
paths keep the shape of the stored ladder."""

from django.urls import URLPattern, path

from modules.courses import video_pages

urlpatterns: list[URLPattern] = [
    path("videos/<str:key>/master.m3u8", video_pages.master, name="video_master"),
    path("videos/<str:key>/key", video_pages.key, name="video_key"),
    path("videos/<str:key>/poster.jpg", video_pages.poster, name="video_poster"),
    path(
        "videos/<str:key>/<str:rendition>/index.m3u8",
        video_pages.rendition,
        name="video_rendition",
    ),
    path(
        "videos/<str:key>/<str:rendition>/<str:segment>",
        video_pages.segment,
        name="video_segment",
    ),
]
