"""accel-api's side of the host agents: the JSON-RPC client and the job runner."""
