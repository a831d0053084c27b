"""The route table: (method, path template, handler). The OpenAPI check reads it too."""

import re

_PARAM = re.compile(r"\{([a-z_]+)\}")


class Route:
    def __init__(self, method, template, handler):
        self.method = method
        self.template = template
        self.handler = handler
        pattern = _PARAM.sub(lambda mt: f"(?P<{mt.group(1)}>[^/]+)", template)
        self.regex = re.compile(f"^{pattern}$")


class Router:
    def __init__(self):
        self.routes = []

    def add(self, method, template, handler):
        self.routes.append(Route(method, template, handler))

    def match(self, method, path):
        """(route, params) or (None, allowed-methods) when only the method is wrong."""
        allowed = []
        for route in self.routes:
            found = route.regex.match(path)
            if found:
                if route.method == method:
                    return route, found.groupdict()
                allowed.append(route.method)
        return None, allowed
