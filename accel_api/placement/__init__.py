"""Placement reporting: one nested resource provider per allocatable deployable.

``client`` speaks Placement's REST API (microversion 1.39) over a keystoneauth
adapter configured in ``[placement]``; ``sync`` makes Placement match one host's
inventory document (providers added, changed, removed; reserved when disabled).
"""
