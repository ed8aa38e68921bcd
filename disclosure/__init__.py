"""Platform statistics, loan disclosure, monthly reports and event notices."""
