"""One notification service: in-app, e-mail, web push and SMS, by each user's preferences."""
