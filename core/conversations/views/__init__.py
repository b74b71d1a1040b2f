"""The conversation pages: the buyer's inbox and conversation (``pages``), the seller's
inbox in the studio (``studio``) and the operators' queue of reported messages (``operator``)."""
