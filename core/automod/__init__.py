"""Automated moderation: a ``Moderator`` pipeline of rule-based checks screens listings,
reviews, chat messages and profile texts before they go live; above the marketplace's
threshold the item waits in the operators' existing moderation queue instead."""
