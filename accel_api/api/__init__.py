"""The Cyborg-v2-compatible REST API (WebOb + a small route table)."""
