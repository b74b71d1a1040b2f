from django.urls import URLPattern, path

from core.conversations.views import operator, pages, studio

app_name = "conversations"

# Storefront pages (any signed-in user), namespace "conversations".
urlpatterns: list[URLPattern] = [
    path("messages/", pages.inbox, name="inbox"),
    path("messages/new/", pages.start, name="start"),
    path("messages/unread/", pages.unread_badge, name="unread"),
    path("messages/files/<str:token>/", pages.attachment, name="attachment"),
    path("messages/<int:conversation_id>/", pages.conversation, name="conversation"),
    path("messages/<int:conversation_id>/send/", pages.send, name="send"),
    path("messages/<int:conversation_id>/after/", pages.after, name="after"),
    path("messages/<int:conversation_id>/read/", pages.read, name="read"),
    path("messages/<int:conversation_id>/archive/", pages.archive, name="archive"),
    path("messages/<int:conversation_id>/block/", pages.block, name="block"),
    path(
        "messages/<int:conversation_id>/m/<int:message_id>/",
        pages.one_message,
        name="message",
    ),
    path("messages/<int:conversation_id>/m/<int:message_id>/edit/", pages.edit, name="edit"),
    path(
        "messages/<int:conversation_id>/m/<int:message_id>/report/",
        pages.report,
        name="report",
    ),
]
# Seller studio, namespace "studio".
studio_urlpatterns: list[URLPattern] = [
    path("messages/", studio.inbox, name="messages"),
    path("messages/<int:conversation_id>/", studio.conversation, name="message"),
]
# Operator back-office, namespace "operator".
operator_urlpatterns: list[URLPattern] = [
    path("messages/reports/", operator.report_queue, name="message_reports"),
    path("messages/reports/<int:report_id>/", operator.resolve, name="message_report_resolve"),
    path("messages/settings/", operator.save_settings, name="message_settings"),
]
