"""Conversations between buyers and sellers (and an operator a dispute brings in)."""
