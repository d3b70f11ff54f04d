"""Votequorum: votes, expected votes and the quorate flag as a sans-IO service core (core.py)."""
