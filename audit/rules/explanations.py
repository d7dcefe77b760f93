"""Explanations and execution: rules of AUDIT_RULES.md (being written)."""
