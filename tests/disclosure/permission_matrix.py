"""Expected status of every disclosure route for every role (tests/test_permission_matrix.py).
Each area of the app keeps its entries in a module of its own, merged here."""

from tests.disclosure.permission_matrix_notices import EXPECTED as NOTICES
from tests.disclosure.permission_matrix_statistics import EXPECTED as STATISTICS

EXPECTED = {**STATISTICS, **NOTICES}
