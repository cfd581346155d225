"""Helpers shared by the tests: real services, real processes."""
