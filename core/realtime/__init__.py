"""Real time over Django Channels: one WebSocket per browser tab on a tenant host, joined to
its user's group and to the topics (a conversation, a dispute) it subscribed to after an
access check. Groups are always named inside the socket's own schema (``topics.group_name``),
so a socket of one marketplace can never hear another's.

Services publish with ``publish_to_user`` / ``publish_to_topic``; the message goes out after
the surrounding transaction commits (nothing is pushed for a change that rolled back).
Real-time pushes are hints for open pages, not the record: what must not be lost (a
notification, an e-mail) goes through the outbox."""
