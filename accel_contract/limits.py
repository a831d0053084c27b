"""The size limits of a JSON Schema, checked first and without descending into excess.

A document over a limit (10,000 devices where the schema allows 4,096) is refused by
``over_limits`` after looking at the one array that is too long: a full validator
would first judge every one of its items, and its message would quote the whole
array before saying what is wrong. Only ``maxItems``, ``maxProperties`` and
``maxLength`` are checked, through ``properties``, ``additionalProperties``,
``items`` and ``allOf``; everything else is left to the full validation that follows.
``$ref`` is not followed: pass a schema whose references are inlined.

``shorten`` keeps the head and the tail of a validator's message, whose tail says
what is wrong ("... has more than 4096 items") where a cut at the end loses it.
"""

MESSAGE_CHARS = 300


def shorten(message, limit=MESSAGE_CHARS):
    """``message`` within ``limit`` characters, its beginning and its end kept."""
    if len(message) <= limit:
        return message
    tail = limit * 2 // 3
    return f"{message[:limit - tail - 5]} ... {message[-tail:]}"


def _where(path):
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


#: The size keyword of each kind of value, and how its size is said.
_SIZES = {list: ("maxItems", "{} items"), dict: ("maxProperties", "{} properties"),
          str: ("maxLength", "a string of {} characters")}


def over_limits(doc, schema, most=50):
    """Problems (``"$.path: ..."``) of ``doc`` against the size limits of ``schema``."""
    problems = []
    stack = [(doc, schema, ())]
    while stack and len(problems) < most:
        node, sub, path = stack.pop()
        if not isinstance(sub, dict):
            continue
        for part in sub.get("allOf", ()):
            stack.append((node, part, path))
        keyword, size = _SIZES.get(type(node), (None, None))
        limit = sub.get(keyword) if keyword else None
        if isinstance(limit, int) and len(node) > limit:
            problems.append(f"{_where(path)}: {size.format(len(node))}, more than the limit "
                            f"of {limit}")
        elif isinstance(node, list) and isinstance(sub.get("items"), dict):
            stack.extend((item, sub["items"], (*path, i)) for i, item in enumerate(node))
        elif isinstance(node, dict):
            properties = sub.get("properties", {})
            extra = sub.get("additionalProperties")
            for key, value in node.items():
                child = properties.get(key, extra)
                if isinstance(child, dict):
                    stack.append((value, child, (*path, key)))
    return problems
