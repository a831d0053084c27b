"""JSON documents from outside: parsed with limits, checked for what nothing can store.

Every JSON document another party sends (an API body, an inventory in Ironic's plugin
data) goes through ``loads`` (bytes or text) or ``check`` (already parsed). Both refuse,
with ``DocumentError`` and a reason a client can act on:

* nesting deeper than ``MAX_DEPTH`` (the parser's own recursion limit would otherwise
  surface as a ``RecursionError``);
* duplicate keys in one object (parsers disagree on which one wins);
* integers longer than ``MAX_INT_DIGITS`` digits, ``NaN``/``Infinity`` and numbers too
  large for a float (not JSON, or not a value any column holds);
* strings, keys included, that a database cannot store: NUL characters (PostgreSQL's
  text types refuse them) and lone UTF-16 surrogates (not encodable as UTF-8, which
  every driver sends). ``unstorable`` says why one string is refused; the path and
  query decoder of accel-api uses it too.

Standard library only: it runs in the ramdisk and the Ironic conductor as well.
"""

import json
import math

#: Deepest nesting of objects and arrays accepted (the contract's documents need 6).
MAX_DEPTH = 32
#: Longest integer literal accepted (a 64-bit value has at most 20 digits).
MAX_INT_DIGITS = 20


class DocumentError(ValueError):
    """The document is not JSON that may be accepted; the message says why.

    ``path`` (``$.a[0].b``, ``$`` for the whole document) and ``reason`` are the parts
    of the message, for callers that word it their own way.
    """

    def __init__(self, reason, what="document", path="$"):
        self.reason, self.path = reason, path
        super().__init__(f"{what}: {reason}" if path == "$" else f"{what} {path}: {reason}")


def unstorable(text):
    """Why ``text`` cannot be stored (NUL, lone surrogate), or None when it can."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains a lone UTF-16 surrogate (U+{ord(text[exc.start]):04X})"
    return None


def _int(literal):
    digits = literal.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise DocumentError(f"an integer of {len(digits)} digits; at most {MAX_INT_DIGITS}")
    return int(literal)


def _float(literal):
    value = float(literal)
    if math.isinf(value):
        raise DocumentError(f"the number {literal[:40]} is too large")
    return value


def _constant(name):
    raise DocumentError(f"{name} is not a JSON value")


def _object(pairs):
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise DocumentError(f"the key {key[:80]!r} appears twice in one object")
            seen.add(key)
    return doc


def loads(raw, what="document", verify=True):
    """Parse ``raw`` (UTF-8 bytes or text); DocumentError otherwise.

    ``verify``: also ``check`` the result; a caller that first validates the document
    against a schema (whose limits bound it) may ``check`` it after that instead.
    """
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"not UTF-8 ({exc.reason} at byte {exc.start})", what) \
                from None
    try:
        doc = json.loads(raw, object_pairs_hook=_object, parse_int=_int,
                         parse_float=_float, parse_constant=_constant)
    except DocumentError as exc:
        raise DocumentError(exc.reason, what) from None
    except RecursionError:
        raise DocumentError(f"nested deeper than {MAX_DEPTH} levels", what) from None
    except ValueError as exc:
        raise DocumentError(f"not valid JSON ({str(exc)[:200]})", what) from None
    return check(doc, what) if verify else doc


def check(doc, what="document"):
    """Refuse a parsed document nested too deep or holding what nothing can store.

    Iterative (no recursion of its own). The strings of one object or array are
    checked together; only when that fails is the culprit looked for. Returns ``doc``.
    """
    stack = [(doc, 0, "$")]
    while stack:
        node, depth, path = stack.pop()  # path: "$.a[0].b", built for containers only
        if type(node) is dict:
            keys, items, step = list(node), node.items(), ".{}"
        elif type(node) is list:
            keys, items, step = [], enumerate(node), "[{}]"
        else:
            _refuse(what, path, "", [(None, node)])
            continue
        if depth >= MAX_DEPTH:
            raise DocumentError(f"nested deeper than {MAX_DEPTH} levels", what)
        strings = keys
        for key, value in items:
            kind = type(value)
            if kind is str:
                strings.append(value)
            elif kind is dict or kind is list:
                stack.append((value, depth + 1, path + step.format(key)))
            elif kind is float and not math.isfinite(value):
                _refuse(what, path, step, [(key, value)])
        if strings and unstorable("".join(strings)) is not None:
            _refuse(what, path, step, node.items() if type(node) is dict else enumerate(node))
    return doc


def _refuse(what, path, step, items):
    """Raise for the first unacceptable key or scalar among ``items`` (key, value)."""
    for key, value in items:
        where = path if key is None else path + step.format(key)
        if isinstance(key, str) and unstorable(key):
            raise DocumentError(f"a key {unstorable(key)}", what, path)
        if isinstance(value, str) and unstorable(value):
            raise DocumentError(f"the string {unstorable(value)}", what, where)
        if isinstance(value, float) and not math.isfinite(value):
            raise DocumentError(f"{value} is not a JSON number", what, where)
