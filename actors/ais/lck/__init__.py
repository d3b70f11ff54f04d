"""The AIS lock service (LCK): cluster-wide PR/EX locks on named resources."""
