"""Hostile-document benchmark: how fast over-limit and malformed documents are refused.

Prints, best and median of ``--runs`` (CPU time beside wall time: on a shared machine
wall time mostly measures the run queue):

* ``accel_contract.inventory.validate`` (what the Ironic inspection hook and accel-api's
  import both call) on a 10,000-device inventory (the limit is 4,096): with jsonschema-rs,
  and with the pure-Python fallback of a lean ramdisk (only the size limits); target
  < 100 ms, the message naming the limit;
* the same validation of a valid 4,096-device inventory, for scale;
* ``accel_contract.jsondoc.loads`` of bodies nested 10,000 deep and of a 4,096-device
  document;
* accel-api end to end (a live server, one worker, SQLite): ``PUT
  /v2/hosts/{name}/inventory`` of the 10,000-device document (parsing included) and a
  body nested 10,000 deep, each refused with 400.

``python bench/hostile.py [--runs 5] [--no-server]``
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from accel_contract import inventory, jsondoc, limits  # noqa: E402
from accel_contract.errors import InventoryError  # noqa: E402
from tests.accel_api_helpers import inventory as make_inventory  # noqa: E402


def big_inventory(devices):
    """A valid inventory of ``devices`` one-region cards (PCI domains keep them apart)."""
    doc = make_inventory("big", 1, 1)
    template = json.dumps(doc["devices"][0])
    doc["devices"] = [json.loads(template.replace("0000:3b:00.", f"{d // 256:04x}:"
                                                  f"{d % 256:02x}:00."))
                      for d in range(devices)]
    return doc


def timed(fn, runs):
    wall, cpu, result = [], [], None
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return wall, cpu, result


def show(what, wall, cpu, note=""):
    cpu_text = f"{min(cpu) * 1000:7.2f} ms" if cpu else "   (server)"
    print(f"  {what:<62} cpu best {cpu_text}   wall best "
          f"{min(wall) * 1000:8.1f} ms, median {statistics.median(wall) * 1000:8.1f} ms"
          f"{'   ' + note if note else ''}")


def refusal(fn):
    def _run():
        try:
            fn()
        except (InventoryError, jsondoc.DocumentError) as exc:
            return str(exc)
        return "ACCEPTED"
    return _run


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--no-server", action="store_true", help="skip the live accel-api part")
    args = p.parse_args(argv)
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} CPUs")
    over, valid = big_inventory(10000), big_inventory(4096)
    inventory.validate(valid)  # builds the validators once, as a server does at start
    print("contract validation (Ironic inspection hook and accel-api import):")
    wall, cpu, message = timed(refusal(lambda: inventory.validate(over)), args.runs)
    show("10,000 devices (limit 4,096), jsonschema-rs", wall, cpu, f"-> {message[:90]}")
    wall, cpu, problems = timed(lambda: limits.over_limits(over, inventory._inlined()),
                                args.runs)
    show("10,000 devices, size limits alone (ramdisk, no jsonschema-rs)", wall, cpu,
         f"-> {problems}")
    wall, cpu, _ = timed(lambda: inventory.validate(valid), args.runs)
    show("4,096 valid devices (for scale)", wall, cpu)
    print("JSON reader:")
    deep = b"[" * 10000 + b"]" * 10000
    wall, cpu, message = timed(refusal(lambda: jsondoc.loads(deep)), args.runs)
    show("array nested 10,000 deep", wall, cpu, f"-> {message}")
    text = json.dumps(valid).encode()
    wall, cpu, _ = timed(lambda: jsondoc.loads(text, verify=False), args.runs)
    show(f"4,096-device document ({len(text) / 1e6:.1f} MB), parse only", wall, cpu)
    wall, cpu, _ = timed(lambda: jsondoc.check(valid), args.runs)
    show("4,096-device document, depth and storable strings", wall, cpu)
    if not args.no_server:
        serve(over, args.runs)
    return 0


def serve(over, runs):
    import requests

    from tests.accel_api_helpers import running_server

    body = json.dumps(over).encode()
    config = f"[api]\nclient_socket_timeout = 5\nmax_inventory_size = {len(body) * 2}\n"
    print("accel-api end to end (one worker, SQLite, noauth):")
    with running_server(config=config) as url:
        session = requests.Session()

        def put(data):
            def _run():
                resp = session.put(f"{url}/v2/hosts/big/inventory", data=data, timeout=120,
                                   headers={"Content-Type": "application/json"})
                return resp.status_code, resp.text
            return _run

        wall, _, (status, text) = timed(put(body), runs)
        reason = json.loads(json.loads(text)["error_message"])["faultstring"]
        show(f"PUT 10,000-device inventory ({len(body) / 1e6:.1f} MB, read+parse+check)",
             wall, None, f"-> {status} {reason[-60:]}")
        wall, _, (status, text) = timed(put(b"[" * 10000 + b"]" * 10000), runs)
        show("PUT a body nested 10,000 deep", wall, None, f"-> {status}")


if __name__ == "__main__":
    sys.exit(main())
