"""Expected status of the routes config wires itself (see tests/test_permission_matrix.py)."""

EXPECTED = {
    # Load balancers and monitors call it without signing in.
    "healthz": {"GET": {"default": 200}, "POST": {"default": 405}},
    # allauth's phone endpoints, unused here (sign-in is by email), answer 404 to everyone.
    "headless-phone-not-found": {
        "path": "/_allauth/app/v1/account/phone",
        "GET": {"default": 404},
        "POST": {"default": 404},
    },
}
