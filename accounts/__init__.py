"""Users, roles, identity (KYC), investor suitability and borrower profiles."""
