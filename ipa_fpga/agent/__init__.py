"""accel-agent: the host side of programming (runs on each hypervisor host).

It reports the host's inventory (ipa_fpga discovery) to accel_api at start and
periodically, registers where its JSON-RPC listens, and runs programming jobs that
accel_api sends over ironic-lib's JSON-RPC (http_basic auth, TLS optional; no broker).
"""
