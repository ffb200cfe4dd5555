"""Deleted records kept whole, listed and restored by admins."""
