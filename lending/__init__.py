"""Products, applications, risk review, loans, investments, schedules, repayments, daily batch."""
