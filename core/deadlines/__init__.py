"""Per-object deadlines: "auto-accept 3 days after delivery", "remind 24 h before the session".

A module schedules one with ``core.deadlines.services.schedule_deadline`` and registers what
happens when it is due with ``@deadline_handler`` in its ``deadlines.py``; the beat sweeper
(``core.deadlines.sweep``) fires each deadline once in its tenant's schema."""
