"""Cluster membership (SA Forum CLM): node list, tracking, views; a sans-IO core (core.py)."""
