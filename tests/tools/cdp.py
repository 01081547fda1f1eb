#!/usr/bin/python3
"""Drives headless Chromium through the DevTools protocol for the web tests:
a user's clicks, typing and file choices on real pages, not crafted requests.

    cdp.py PROFILE_DIR STEPS.json  ->  JSON on stdout

STEPS is a list of objects, run in order:
  {"go": URL}                         open URL, wait for the page to load
  {"fill": CSS, "value": TEXT}        set a form field's value
  {"files": CSS, "paths": [PATH...]}  choose files in an <input type=file>
  {"click": CSS}                      click it and wait for the page it loads
  {"dom": NAME}                       record the page's HTML under NAME
  {"url": NAME}                       record the page's address under NAME
  {"shot": PATH}                      PNG screenshot of the page
Output: {"NAME": ..., ...}. Any failure (no such element, no load within
30 s) exits 1 with the step on stderr.
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.request

import websocket  # python3-websocket


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, name, deadline):
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    del self.events[: i + 1]
                    return e
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
        raise RuntimeError(f"no {name} within the time limit")

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"script failed: {expr}: {r['exceptionDetails'].get('text')}")
        return r.get("result", {}).get("value")

    def element(self, css):
        doc = self.call("DOM.getDocument", depth=0)
        node = self.call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector=css)
        if not node.get("nodeId"):
            raise RuntimeError(f"no element {css}")
        return node["nodeId"]


def main():
    profile, steps_path = sys.argv[1], sys.argv[2]
    steps = json.load(open(steps_path))
    port_file = os.path.join(profile, "DevToolsActivePort")
    if os.path.exists(port_file):  # left by an earlier run on this profile
        os.remove(port_file)
    proc = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
         "--user-data-dir=" + profile, "--window-size=1280,900", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {}
    try:
        deadline = time.monotonic() + 30
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = Page(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("DOM.enable")
        for step in steps:
            try:
                if "go" in step:
                    page.events.clear()
                    page.call("Page.navigate", url=step["go"])
                    page.wait_event("Page.loadEventFired", time.monotonic() + 30)
                elif "fill" in step:
                    page.element(step["fill"])
                    page.evaluate(f"document.querySelector({json.dumps(step['fill'])}).value = "
                                  f"{json.dumps(step['value'])}")
                elif "files" in step:
                    page.call("DOM.setFileInputFiles", files=step["paths"], nodeId=page.element(step["files"]))
                elif "click" in step:
                    page.element(step["click"])
                    page.events.clear()
                    page.evaluate(f"document.querySelector({json.dumps(step['click'])}).click()")
                    page.wait_event("Page.loadEventFired", time.monotonic() + 30)
                elif "dom" in step:
                    out[step["dom"]] = page.evaluate("document.documentElement.outerHTML")
                elif "url" in step:
                    out[step["url"]] = page.evaluate("location.href")
                elif "shot" in step:
                    png = page.call("Page.captureScreenshot", format="png")["data"]
                    with open(step["shot"], "wb") as f:
                        f.write(base64.b64decode(png))
                else:
                    raise RuntimeError("unknown step")
            except Exception as e:  # report the step that failed, and stop
                print(f"step {json.dumps(step)}: {e}", file=sys.stderr)
                json.dump(out, sys.stdout)
                return 1
        json.dump(out, sys.stdout)
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
