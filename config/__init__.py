"""Scoring rules for the triage intake worker (see rules.toml)."""
