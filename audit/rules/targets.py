"""Targets against actuals: rules of AUDIT_RULES.md (being written)."""
