"""Disputes on any order line, decided with money moved exactly through the ledger."""
