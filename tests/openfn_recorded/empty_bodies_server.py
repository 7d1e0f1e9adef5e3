import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def _go(self):
        n = int(self.headers.get("content-length") or 0); self.rfile.read(n)
        if self.path.startswith("/empty-json"):
            self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", "0"); self.end_headers(); return
        if self.path.startswith("/untyped"):
            self.send_response(200); self.send_header("Content-Length", "5"); self.end_headers(); self.wfile.write(b"plain"); return
        self.send_response(204); self.end_headers()
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _go
    def log_message(self, *a): pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
