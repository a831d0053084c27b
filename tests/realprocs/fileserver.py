"""A loopback HTTP file server (http.server in a thread) for images the agent downloads."""

import functools
import http.server
import os
import threading


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_head(self):
        self.server.seen.append(self.path)  # every request, answered or not
        return super().send_head()


class FileServer:
    def __init__(self, directory):
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        handler = functools.partial(_Handler, directory=self.directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.seen = []
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    @property
    def requests(self):
        """The paths asked for so far (GET and HEAD), in order."""
        return list(self.httpd.seen)

    def add(self, name, data):
        with open(os.path.join(self.directory, name), "wb") as f:
            f.write(data)
        return f"{self.url}/{name}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
