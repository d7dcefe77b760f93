"""Data quality (`review`): rules of AUDIT_RULES.md (being written)."""
