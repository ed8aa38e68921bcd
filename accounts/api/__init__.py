"""App API of accounts: the signed-in user's profile, identity and suitability."""
