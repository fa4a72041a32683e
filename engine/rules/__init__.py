"""The declarative rules (rules/): loaded, checked against terms/, compiled for durable_rules."""
