"""Disclosure use cases that write, one module per concept."""
