"""Factories that build realistic test data through the real services."""
