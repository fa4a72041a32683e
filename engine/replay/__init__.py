"""Decide: a contract's events in, rulings out. Uses rules/ and terms/; nothing here presents."""
