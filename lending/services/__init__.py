"""Lending use cases that write, one module per part of the loan's life."""
