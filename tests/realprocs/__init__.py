"""Launchers for the real components the functional tests run against, on loopback.

Each launcher starts the real program from the package index (never a fake), in its own
process group, with its state under a temporary directory, and stops it reliably.
"""
