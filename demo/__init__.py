"""Demo data and the embedded launcher: the top layer, imported by nothing."""
