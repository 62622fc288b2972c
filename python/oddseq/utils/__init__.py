"""Shared helpers (internal)."""
