"""The analytics dashboard inside the Django admin."""
