"""Recommendations: "customers also bought", "similar products", "recently viewed" and the
personalised home shelves, behind one ``Recommender`` interface (``recommenders.py``)."""
