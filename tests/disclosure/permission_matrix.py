"""Expected status of every disclosure route for every role (see
tests/test_permission_matrix.py), gathered from each part's own table."""

from tests.disclosure.permission_matrix_notices import EXPECTED as NOTICES

EXPECTED = {**NOTICES}
