"""Wiretap: a pure-Python emulator of AWS serverless services."""
