"""Operator rules: match inventory devices and add traits or capabilities.

In the spirit of Kubernetes node-feature-discovery rules, a YAML file lists
rules; each has a ``match`` (every key given must match one device) and what to
add when any device matches::

    rules:
      - name: gzip-afu
        match:
          vendor_id: "0x8086"
          device_id: ["0x0b30", "0x0b2b"]   # a list means "any of"
          type: FPGA
          driver: intel_dfl
          model: N3000
          afu_id: 9aeffe5f84570612c53bd9b6e31f1b8e
          firmware: {component: max10_bmc_nios, version: "D.2.1.24"}
        traits: [CUSTOM_FPGA_GZIP]
        capabilities: {fpga_gzip: "true"}

Trait names are checked with accel_contract.naming; capability keys and values
may not hold ``,`` or ``:`` (Ironic's capabilities string format).
"""

import re

import yaml

from accel_contract import naming
from accel_contract.errors import AccelError

#: Keys a rule may match on, and where each is read from a device of the inventory.
MATCH_KEYS = ("vendor_id", "device_id", "type", "driver", "model", "vendor", "afu_id",
              "firmware")
_CAP_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_CAP_VALUE_RE = re.compile(r"^[A-Za-z0-9_.\-=+/]{0,255}$")
MAX_RULES = 1000


class RulesError(AccelError, ValueError):
    """The rules file is unreadable or a rule is malformed (names the rule)."""


class Rule:
    """One validated rule."""

    def __init__(self, index, data):
        where = f"rule #{index}"
        if not isinstance(data, dict):
            raise RulesError(f"{where}: expected a mapping, got {type(data).__name__}")
        self.name = str(data.get("name") or where)
        where = f"rule {self.name!r}"
        unknown = set(data) - {"name", "match", "traits", "capabilities"}
        if unknown:
            raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
        match = data.get("match")
        if not isinstance(match, dict) or not match:
            raise RulesError(f"{where}: 'match' must be a non-empty mapping")
        bad = set(match) - set(MATCH_KEYS)
        if bad:
            raise RulesError(f"{where}: cannot match on {sorted(bad)} (known: {MATCH_KEYS})")
        self.match = {}
        for key, value in match.items():
            if key == "firmware":
                if not isinstance(value, dict) or "component" not in value:
                    raise RulesError(f"{where}: 'firmware' needs a component (and a version)")
                self.match[key] = {
                    "component": str(value["component"]),
                    "version": _values(value.get("version"), where) if "version" in value
                    else None,
                }
            else:
                self.match[key] = _values(value, where)
        self.traits = data.get("traits") or []
        if not isinstance(self.traits, list):
            raise RulesError(f"{where}: 'traits' must be a list")
        for trait in self.traits:
            if not naming.is_valid_trait(trait):
                raise RulesError(f"{where}: {trait!r} is not a valid trait (CUSTOM_[A-Z0-9_]+)")
        caps = data.get("capabilities") or {}
        if not isinstance(caps, dict):
            raise RulesError(f"{where}: 'capabilities' must be a mapping")
        self.capabilities = {}
        for key, value in caps.items():
            value = str(value).lower() if isinstance(value, bool) else str(value)
            if not _CAP_RE.match(str(key)) or not _CAP_VALUE_RE.match(value):
                raise RulesError(f"{where}: capability {key!r}={value!r} has characters "
                                 "Ironic's capabilities cannot hold")
            self.capabilities[str(key)] = value
        if not self.traits and not self.capabilities:
            raise RulesError(f"{where}: adds neither traits nor capabilities")

    def matches(self, device):
        for key, wanted in self.match.items():
            if key == "firmware":
                found = [fw for fw in device.get("firmware", [])
                         if fw["component"] == wanted["component"]]
                if not found:
                    return False
                if wanted["version"] is not None and not any(
                        str(fw.get("version")).lower() in wanted["version"] for fw in found):
                    return False
            else:
                if _device_value(device, key) not in wanted:
                    return False
        return True


def _values(value, where):
    items = value if isinstance(value, list) else [value]
    out = set()
    for item in items:
        if isinstance(item, dict | list) or item is None:
            raise RulesError(f"{where}: match values must be strings or lists of strings")
        out.add(str(item).lower())
    return out


def _device_value(device, key):
    if key == "afu_id":
        value = device.get("attributes", {}).get("afu_id")
    else:
        value = device.get(key)
    return None if value is None else str(value).lower()


def load(path):
    """Read and validate the rules file; [] when ``path`` is empty."""
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise RulesError(f"cannot read accelerator rules file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"accelerator rules file {path} is not valid YAML: {exc}") from None
    return parse(data, source=path)


def parse(data, source="rules"):
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesError(f"{source}: expected a mapping with a 'rules' list")
    if len(data["rules"]) > MAX_RULES:
        raise RulesError(f"{source}: more than {MAX_RULES} rules")
    return [Rule(i, item) for i, item in enumerate(data["rules"])]


def apply(rules, inventory):
    """``(traits, capabilities, matched rule names)`` the rules add for this inventory."""
    traits, caps, names = [], {}, []
    for rule in rules:
        if any(rule.matches(device) for device in inventory["devices"]):
            names.append(rule.name)
            for trait in rule.traits:
                if trait not in traits:
                    traits.append(trait)
            caps.update(rule.capabilities)
    return traits, caps, names
