"""Closed process groups: corosync CPG semantics as a sans-IO service core (core.py)."""
