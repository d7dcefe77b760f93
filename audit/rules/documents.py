"""Across documents: rules of AUDIT_RULES.md (being written)."""
