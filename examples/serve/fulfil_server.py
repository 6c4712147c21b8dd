#!/usr/bin/env python3
"""The `fulfil` handler of docs/serve.md: a loopback HTTP service that ships
an order and answers with a datum. Run: python3 fulfil_server.py 9000"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Fulfil(BaseHTTPRequestHandler):
    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers["Idempotency-Key"]
        print(f"fulfil: order {request['payload']} key {key}", file=sys.stderr, flush=True)
        body = f'(shipped "UPS-1Z{request["flow"]:04}")'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Fulfil).serve_forever()
