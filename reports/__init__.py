"""Indicators and investment rankings computed in SQL, their exports and report pages."""
