"""The back-office's sections, in the order the navigation shows them (URL names in the
``operator`` namespace); modules' operator pages follow (their manifests' ``pages``)."""

SECTIONS: tuple[tuple[str, str], ...] = (
    ("Dashboard", "operator:dashboard"),
    ("Getting started", "operator:getting_started"),
    ("Branding", "operator:branding"),
    ("Modules", "operator:modules"),
    ("Categories", "operator:categories"),
    ("Moderation", "operator:moderation"),
    ("Sellers", "operator:sellers"),
    ("Users", "operator:users"),
    ("Reviews", "operator:reviews"),
    ("Disputes", "operator:disputes"),
    ("Risk review", "operator:risk_review"),
    ("Reported messages", "operator:message_reports"),
    ("Notifications", "operator:notifications"),
    ("Commission", "operator:commission"),
    ("Taxes", "operator:taxes"),
    ("Discounts", "operator:discounts"),
    ("Payouts", "operator:payouts"),
    ("PayPal", "operator:paypal"),
    ("Reports", "operator:reports"),
    ("Ledger", "operator:ledger"),
    ("Deadlines", "operator:deadlines"),
    ("Platform support", "operator:support_sessions"),
)
