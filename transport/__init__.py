"""Authenticated ZeroMQ transport: run-time endpoints, framed and MAC-checked envelopes."""
