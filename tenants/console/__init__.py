"""The platform console's own pages beside the admin: the fleet overview, a marketplace's
overview (modules with their settings forms, entering as support)."""
