"""Compliance: working days, derived values, validation runs with history, and the report model."""
