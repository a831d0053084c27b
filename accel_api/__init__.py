"""The accel_api service: deployables, Cyborg-v2-compatible claims, bitstreams, programming."""
