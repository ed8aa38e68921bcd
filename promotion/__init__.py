"""Operation promotion: campaign attribution, marketing consent, referrals, target segments."""
