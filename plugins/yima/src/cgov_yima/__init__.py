"""Yima City (义马市, 411281) rules for community-governance, as a county plugin."""
