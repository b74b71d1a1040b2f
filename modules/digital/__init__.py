"""Digital goods (issue 18): files sold and delivered securely, stamped with the buyer,
versioned, previewed and tracked. So far its file processing (``processing``); the app,
its models and pages come next."""
