"""Conversations between a buyer and a seller (and an operator a dispute brings in).

Who takes part is a ``Participant`` row per (conversation, user). The seller's side is the
seller's owner plus the teammates who hold ``manage_customers`` or ``process_orders`` when the
conversation opens; a teammate granted one of them later joins the seller's conversations when
they open the studio inbox (``services.join_seller_conversations``), and one who lost them is
refused by the access check even though their row stays.

A participant keeps its own ``unread_count`` (maintained by the services in the same UPDATE
that records a message), so a user's unread total is one SUM over an index of their rows:
it costs the same with ten messages or ten million."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.schema import current_schema_name
from core.sellers.models import Seller

MAX_MESSAGE_LENGTH = 5000
DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class ConversationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class ParticipantRole(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"
    OPERATOR = "operator", "Operator"


class MessageKind(models.TextChoices):
    TEXT = "text", "Text"
    FILE = "file", "File"
    SYSTEM = "system", "System"


class ContactFilterMode(models.TextChoices):
    OFF = "off", "Off: let contact details through"
    MASK = "mask", "Mask: hide contact details in the message"
    BLOCK = "block", "Block: refuse messages with contact details"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Waiting"
    DISMISSED = "dismissed", "Dismissed"
    REMOVED = "removed", "Message removed"


class ConversationSettings(models.Model):
    """The marketplace's chat policy: one row per schema (pk 1)."""

    attachment_max_bytes = models.PositiveIntegerField(default=DEFAULT_ATTACHMENT_MAX_BYTES)
    contact_filter = models.CharField(
        max_length=5, choices=ContactFilterMode.choices, default=ContactFilterMode.MASK
    )

    class Meta:
        verbose_name_plural = "conversation settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(attachment_max_bytes__gte=1024)
                & Q(attachment_max_bytes__lte=100 * 1024 * 1024),
                name="conversation_attachment_max_in_range",
            )
        ]

    def __str__(self) -> str:
        return "conversation settings"


class Conversation(models.Model):
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="buyer_conversations"
    )
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="conversations")
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "commerce.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order_line = models.ForeignKey(
        "commerce.OrderLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What it is about, as one comparable key ("product:12", "order:7", "line:31", "" for the
    # seller in general): one conversation per buyer, seller and subject.
    subject = models.CharField(max_length=40, blank=True)
    # The subject as inboxes show it (the product's name, "Order 12"), kept here so an inbox
    # row needs no join to the catalogue.
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=8, choices=ConversationStatus.choices, default=ConversationStatus.ACTIVE
    )
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "seller", "subject"], name="one_conversation_per_subject"
            )
        ]
        indexes = [models.Index(fields=["seller", "-last_message_at"], name="conv_seller_recent")]

    def __str__(self) -> str:
        return f"conversation {self.pk} ({self.subject or 'general'})"


class Participant(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_participations"
    )
    role = models.CharField(max_length=8, choices=ParticipantRole.choices)
    unread_count = models.PositiveIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    # Copied from the conversation with every message (its opening until then), so the inbox
    # is one index range scan in this order.
    last_message_at = models.DateTimeField(default=timezone.now)
    is_archived = models.BooleanField(default=False)
    # This participant refuses further messages from the other side of the conversation.
    blocked_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="one_participant_per_user"
            )
        ]
        indexes = [
            # The unread total: an index-only SUM over the user's rows.
            models.Index(fields=["user"], include=["unread_count"], name="participant_unread"),
            # The inbox, newest first.
            models.Index(
                fields=["user", "is_archived", "-last_message_at", "-id"],
                name="participant_inbox",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.user_id} in {self.conversation_id}"


def attachment_upload_path(instance: Message, filename: str) -> str:
    # Tenant-prefixed, never the uploader's name (kept in attachment_name for display).
    return f"{current_schema_name()}/conversations/{instance.conversation_id}/{filename}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=6, choices=MessageKind.choices, default=MessageKind.TEXT)
    text = models.TextField(blank=True, max_length=MAX_MESSAGE_LENGTH)
    data = models.JSONField(default=dict, blank=True)
    attachment = models.FileField(upload_to=attachment_upload_path, max_length=300, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_content_type = models.CharField(max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(null=True, blank=True)
    # The contact filter hid something in ``text``.
    is_filtered = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # Automated moderation held it: only its sender sees it (as waiting) until an operator
    # releases it; nobody else is told of it, live or otherwise.
    held_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Newest-first cursor pages of one conversation.
            models.Index(fields=["conversation", "-created_at", "-id"], name="message_page"),
            # Marking read: the other side's unread messages of one conversation.
            models.Index(
                fields=["conversation", "sender"],
                condition=Q(read_at__isnull=True),
                name="message_unread",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="system") | Q(sender__isnull=False),
                name="message_sender_unless_system",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} message {self.pk} in {self.conversation_id}"


class MessageReport(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=9, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="one_report_per_reporter")
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="report_queue")]

    def __str__(self) -> str:
        return f"report of message {self.message_id}"
