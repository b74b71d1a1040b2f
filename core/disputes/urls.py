from django.urls import URLPattern, path

from core.disputes import views

urlpatterns: list[URLPattern] = [  # storefront pages (buyer side)
    path("disputes/", views.buyer_list, name="disputes"),
    path("disputes/new/", views.buyer_open, name="dispute_open"),
    path("disputes/<int:dispute_id>/", views.buyer_detail, name="dispute"),
    path("disputes/<int:dispute_id>/act/", views.buyer_act, name="dispute_act"),
    path(
        "disputes/<int:dispute_id>/evidence/<int:evidence_id>/",
        views.evidence_file,
        name="dispute_evidence",
    ),
]
studio_urlpatterns: list[URLPattern] = [  # seller studio, namespace "studio"
    path("disputes/", views.studio_list, name="disputes"),
    path("disputes/<int:dispute_id>/", views.studio_detail, name="dispute"),
    path("disputes/<int:dispute_id>/act/", views.studio_act, name="dispute_act"),
]
operator_urlpatterns: list[URLPattern] = [  # operator back-office, namespace "operator"
    path("disputes/", views.operator_list, name="disputes"),
    path("disputes/settings/", views.operator_settings, name="dispute_settings"),
    path("disputes/<int:dispute_id>/", views.operator_detail, name="dispute"),
    path("disputes/<int:dispute_id>/act/", views.operator_act, name="dispute_act"),
]
