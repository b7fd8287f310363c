#!/usr/bin/env python3
"""The HTML report, opened in a real browser.

`ticketsim compare --export report.html` writes one self-contained page: no
script, no network, inline SVG charts. A text comparison of that file cannot
tell whether a browser renders it: a stray `<` in a label, a malformed path
or a CSS rule that collapses the charts all still "contain the right ids".
So this test runs a small comparison built to give every chart data (plain
at 4 buyers with a purchase delay oversells, so the anomaly grid has red
cells; monitor_interval fills the inventory chart), opens the report in
headless Chromium and checks, through the DevTools protocol:

  * no exception, console.error/console.assert or error log entry, and no
    network request other than the report itself;
  * every chart in the DOM with a rendered size, a line per series, one
    anomaly cell per strategy and buyer count (a red one among them), and
    the tables;
  * a screenshot that is not blank and shows the series' colours; the PNG
    is decoded here with the standard library only.

`ticketsim report report.json --export again.html` must render the same
charts from the JSON export. Finally a deliberately broken page goes through
the same checker, which must flag it: a checker that cannot fail proves
nothing.

The DevTools protocol is spoken over a pipe (--remote-debugging-pipe):
Chromium reads NUL-terminated JSON messages on its fd 3 and writes replies
and events on its fd 4. No port is opened, so parallel tests cannot collide
and nothing else on the machine can talk to the browser.

Environment: TICKETSIM (the binary; meson sets it), TICKETSIM_SCREENSHOT
(keep the screenshot at this path), TICKETSIM_REQUIRE_CHROMIUM=1 (fail
rather than skip without chromium, for CI). SCENARIOS is not used: the
scenario is written here so the test controls what the charts must show.
Exit status: 0 pass, 1 fail, 77 skip (meson's skip code).
"""

import base64
import collections
import fcntl
import json
import os
import pathlib
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib

SKIP = 77

# Every reply from Chromium, and each step, must come within this; the
# whole test within WATCHDOG_S (meson's own timeout is 300 s).
CDP_TIMEOUT_S = 60
WATCHDOG_S = 240

STRATEGIES = ["plain", "named-mutex", "sqlite"]
BUYERS = [1, 4]
RUNS = 2
SCENARIO = f"""\
name = "html-report-test"
strategies = {json.dumps(STRATEGIES)}
buyers = {json.dumps(BUYERS)}
runs = {RUNS}
tickets = 400
attempts = 60
monitor_interval = "1ms"
[delays]
purchase = "200us"
[expect]
verdict = "valid"
"""

LINE_CHARTS = ["sales-per-second", "p99-latency", "inventory", "latency-distribution"]
CHART_IDS = ["sales-per-second", "p99-latency", "anomalies", "inventory", "latency-distribution"]
# The anomaly grid fills a cell where runs found anomalies with this red
# (its alpha grows with the share of such runs); see anomaly_chart().
ANOMALY_RED = "rgba(215,48,39"

# A page that fails every check: it throws, logs an error, loads a file
# that is not there, and has no chart.
BROKEN_PAGE = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>broken</title></head><body>
<p>self-check page</p>
<script>console.error("self-check: console.error");</script>
<script>undefined_function();</script>
<img src="missing.png" alt="">
</body></html>
"""

VIEWPORT = (1400, 2000)
CHROMIUM_FLAGS = [
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-pipe", f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
]


class Failure(Exception):
    """A step that cannot go on (the binary failed, Chromium went away)."""


class Finding(collections.namedtuple("Finding", "kind message")):
    """One thing wrong with a page. kind: exception, console, log, network, navigation, dom or screenshot."""

    def __str__(self):
        return f"[{self.kind}] {self.message}"


# --- The DevTools protocol over a pipe ---------------------------------------

class Chromium:
    """A headless Chromium and its DevTools pipe.

    Replies are matched to requests by id; every event that arrives while
    waiting is kept in `events` (in order) for the caller to inspect.
    """

    def __init__(self, executable, user_data_dir, log_path):
        # to_child: we write, Chromium reads on its fd 3.
        # from_child: Chromium writes on its fd 4, we read.
        to_child_r, self._to_child_w = os.pipe()
        self._from_child_r, from_child_w = os.pipe()

        def move_pipes_to_3_and_4():
            # Runs in the child between fork and exec. The pipe ends may
            # themselves be fds 3 or 4, so first move both above 9, then
            # dup2 them into place; dup2 leaves the new fds inheritable,
            # while everything Python opened is close-on-exec (PEP 446).
            # Popen's own error pipe was opened after these, so above 4.
            read_end = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._log = open(log_path, "wb")
        # close_fds=False rather than pass_fds=(3, 4): Popen makes the fds in
        # pass_fds inheritable *before* preexec_fn runs, so they would have
        # to be open in this process already, and it closes every fd not in
        # pass_fds *after* preexec_fn, so passing the pipes' own numbers
        # would close the 3 and 4 made here. Nothing else leaks: every fd
        # Python opens is close-on-exec.
        # A new session makes Chromium's pid the process group of all its
        # helpers (zygote, renderer, GPU), so they can all be killed by that
        # one id if it does not exit.
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            close_fds=False, preexec_fn=move_pipes_to_3_and_4, start_new_session=True)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    # Sending and receiving.

    def _send(self, method, params, session):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._to_child_w, data):]
        except BrokenPipeError:
            raise Failure(f"chromium closed its DevTools pipe (sending {method})") from None
        return self._next_id

    def _receive(self, deadline, waiting_for):
        """The next message, or Failure at the deadline or if Chromium exits."""
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"no {waiting_for} from chromium within {CDP_TIMEOUT_S} s")
            ready, _, _ = select.select([self._from_child_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_child_r, 1 << 16)
            if not chunk:
                raise Failure(f"chromium exited (status {self.process.poll()}) while waiting for {waiting_for}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        """Sends a command and returns its result; a protocol error is a Failure."""
        request = self._send(method, params, session)
        deadline = time.monotonic() + CDP_TIMEOUT_S
        while True:
            message = self._receive(deadline, f"reply to {method}")
            if message.get("id") == request:
                if "error" in message:
                    raise Failure(f"{method} failed: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_event(self, method, session):
        """Returns the first event `method` of `session` not yet waited for."""
        deadline = time.monotonic() + CDP_TIMEOUT_S
        seen = 0
        while True:
            for i in range(seen, len(self.events)):
                event = self.events[i]
                if event["method"] == method and event.get("sessionId") == session:
                    del self.events[i]
                    return event
            seen = len(self.events)
            message = self._receive(deadline, method)
            if "method" in message:
                self.events.append(message)

    def evaluate(self, session, expression, await_promise=False):
        """The JSON value of `expression` in the page; an exception is a Failure."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": await_promise}, session)
        if "exceptionDetails" in result:
            raise Failure(f"evaluating in the page threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    # Setting up and closing.

    def attach_to_page(self):
        """Attaches to the page target (about:blank) and enables the domains the checks use."""
        deadline = time.monotonic() + CDP_TIMEOUT_S
        while True:
            pages = [t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page"]
            if pages:
                break
            # The first tab may not be registered yet when the pipe opens.
            if time.monotonic() > deadline:
                raise Failure("chromium has no page target")
            time.sleep(0.05)
        session = self.call("Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable", session=session)
        # The window's size less the space headless keeps for browser chrome
        # would be the viewport; fixing it makes layout and screenshot the
        # same on every machine.
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False}, session)
        return session

    def close(self):
        """Browser.close, then a bounded wait; kills the whole process group if it hangs.

        Never raises: it runs in `finally`, and must not hide the real error.
        """
        try:
            if self.process.poll() is None:
                # No waiting for the reply: a browser that hangs would not send
                # one, and the wait below is what decides.
                try:
                    self._send("Browser.close", None, None)
                except Failure:
                    pass  # The pipe is closed: Chromium has exited or is exiting.
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    print("html_report: chromium did not exit after Browser.close; killing it", file=sys.stderr)
            # The helpers normally exit with the browser; kill any that did not.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait(timeout=15)
        except Exception as error:  # noqa: BLE001 - reported, not raised: see the docstring
            print(f"html_report: closing chromium: {error}", file=sys.stderr)
        finally:
            for fd in (self._to_child_w, self._from_child_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._log.close()


# --- Checking a page ---------------------------------------------------------

# Runs in the page: what the DOM checks need, as plain JSON.
DOM_PROBE = """
(() => {
  const size = (element) => {
    if (!element) return null;
    const box = element.getBoundingClientRect();
    return {width: box.width, height: box.height};
  };
  const charts = {};
  for (const id of %(ids)s) {
    const figure = document.getElementById(id);
    if (!figure) { charts[id] = null; continue; }
    const svg = figure.querySelector("svg");
    charts[id] = {
      tag: figure.tagName.toLowerCase(),
      isChart: figure.classList.contains("chart"),
      svg: size(svg),
      note: figure.querySelector("p.note") ? figure.querySelector("p.note").textContent : null,
      series: [...figure.querySelectorAll("svg g.series")].map((g) => ({
        name: g.getAttribute("data-series"),
        paths: g.querySelectorAll("path").length,
        markers: g.querySelectorAll(".marker").length,
        shapes: [...new Set([...g.querySelectorAll(".marker")].map((m) => m.tagName))],
        stroke: g.querySelector("path") ? g.querySelector("path").getAttribute("stroke") : null,
      })),
      cells: [...figure.querySelectorAll("svg g.cell")].map((g) =>
          g.querySelector("rect") ? g.querySelector("rect").getAttribute("fill") : null),
    };
  }
  const tables = {};
  for (const id of ["cells", "runs", "context"]) {
    const table = document.querySelector("table#" + id);
    tables[id] = table ? table.querySelectorAll("tbody tr").length : null;
  }
  return {charts, tables};
})()
"""


def check_dom(dom):
    """What is wrong with the report's charts and tables."""
    findings = []

    def fail(message):
        findings.append(Finding("dom", message))

    cells = len(STRATEGIES) * len(BUYERS)
    for chart_id in CHART_IDS:
        chart = dom["charts"][chart_id]
        if chart is None:
            fail(f"no element #{chart_id}")
            continue
        if chart["tag"] != "figure" or not chart["isChart"]:
            fail(f"#{chart_id} is a <{chart['tag']}>, not a <figure class=\"chart\">")
        if chart["svg"] is None:
            note = f" (it says: {chart['note'].strip()!r})" if chart["note"] else ""
            fail(f"#{chart_id} has no <svg>{note}")
            continue
        if chart["svg"]["width"] <= 100 or chart["svg"]["height"] <= 100:
            fail(f"#{chart_id}'s svg renders at {chart['svg']['width']:.0f}x{chart['svg']['height']:.0f} px, "
                 "not more than 100x100")
    for chart_id in LINE_CHARTS:
        chart = dom["charts"][chart_id]
        if chart is None or chart["svg"] is None:
            continue
        if not any(series["paths"] for series in chart["series"]):
            fail(f"#{chart_id} has no <path> in a g.series ({len(chart['series'])} series)")
    # Sales and p99 have one series per strategy, a point per buyer count.
    for chart_id in ("sales-per-second", "p99-latency"):
        chart = dom["charts"][chart_id]
        if chart is None or chart["svg"] is None:
            continue
        names = [series["name"] for series in chart["series"]]
        if names != STRATEGIES:
            fail(f"#{chart_id} has series {names}, expected {STRATEGIES}")
        for series in chart["series"]:
            if series["paths"] != 1 or series["markers"] != len(BUYERS):
                fail(f"#{chart_id} series {series['name']} has {series['paths']} paths and {series['markers']} "
                     f"markers, expected 1 and {len(BUYERS)}")
        # Told apart by marker shape as well as colour: no two of the first
        # four series share a shape.
        shapes = [tuple(series["shapes"]) for series in chart["series"][:4]]
        if len(set(shapes)) != len(shapes):
            fail(f"#{chart_id} series share marker shapes: {shapes}")
    anomalies = dom["charts"]["anomalies"]
    if anomalies is not None and anomalies["svg"] is not None:
        fills = anomalies["cells"]
        if len(fills) != cells:
            fail(f"#anomalies has {len(fills)} g.cell, expected {cells} ({len(STRATEGIES)} strategies x "
                 f"{len(BUYERS)} buyer counts)")
        if not any(fill and fill.replace(" ", "").startswith(ANOMALY_RED) for fill in fills):
            fail(f"#anomalies has no red cell ({ANOMALY_RED}...), but plain at {max(BUYERS)} buyers oversells; "
                 f"fills: {fills}")
    expected_rows = {"cells": cells, "runs": cells * RUNS}
    for table, rows in dom["tables"].items():
        if rows is None:
            fail(f"no table#{table}")
        elif table in expected_rows and rows != expected_rows[table]:
            fail(f"table#{table} has {rows} body rows, expected {expected_rows[table]}")
        elif rows == 0:
            fail(f"table#{table} has no body rows")
    return findings


def event_findings(events, page_url):
    """Exceptions, console errors, error log entries and foreign requests among `events`."""
    findings = []
    for event in events:
        method, params = event["method"], event["params"]
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            # The description is the message and then the stack; the first line will do.
            text = (details.get("exception", {}).get("description") or details.get("text", "")).partition("\n")[0]
            findings.append(Finding("exception", f"{text} (line {details.get('lineNumber', 0) + 1})"))
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"])
            findings.append(Finding("console", f"console.{params['type']}: {text}"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            findings.append(Finding("log", f"{entry['source']}: {entry['text']} {entry.get('url', '')}".rstrip()))
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            # The report is one file: the only request is the navigation to it.
            if url != page_url and not url.startswith("data:"):
                findings.append(Finding("network", f"request for {url}"))
    return findings


def check_page(browser, session, path):
    """Loads `path` in the page and returns (findings, dom)."""
    url = pathlib.Path(path).resolve().as_uri()
    browser.events.clear()
    navigation = browser.call("Page.navigate", {"url": url}, session)
    if navigation.get("errorText"):
        return [Finding("navigation", f"{url}: {navigation['errorText']}")], None
    browser.wait_event("Page.loadEventFired", session)
    # Two animation frames: the page has been laid out and painted. The round
    # trip also delivers every event the page sent before it.
    browser.evaluate(session, "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))",
                     await_promise=True)
    dom = browser.evaluate(session, DOM_PROBE % {"ids": json.dumps(CHART_IDS)})
    return event_findings(browser.events, url) + check_dom(dom), dom


# --- The screenshot ----------------------------------------------------------

def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(raw, width, height, channels):
    """Undoes PNG's per-row filters (8 bits per sample); returns the pixel bytes."""
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise ValueError(f"image data is {len(raw)} bytes, expected {height * (stride + 1)}")
    out = bytearray(height * stride)
    previous = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 0:  # None
            pass
        elif kind == 1:  # Sub: plus the byte a pixel to the left
            for i in range(channels, stride):
                row[i] = (row[i] + row[i - channels]) & 0xFF
        elif kind == 2:  # Up: plus the byte above
            row = bytearray((r + p) & 0xFF for r, p in zip(row, previous))
        elif kind == 3:  # Average of left and above
            for i in range(stride):
                left = row[i - channels] if i >= channels else 0
                row[i] = (row[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth: plus whichever of left, above, upper left is nearest
            for i in range(stride):
                if i >= channels:
                    row[i] = (row[i] + paeth(row[i - channels], previous[i], previous[i - channels])) & 0xFF
                else:
                    row[i] = (row[i] + previous[i]) & 0xFF
        else:
            raise ValueError(f"row {y} has filter type {kind}")
        out[y * stride:(y + 1) * stride] = row
        previous = row
    return bytes(out)


def decode_png(data):
    """(width, height, channels, pixels) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position, header, idat = 8, None, []
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        crc = int.from_bytes(data[position + 8 + length:position + 12 + length], "big")
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"chunk {kind!r} has a bad CRC")
        position += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("no IHDR chunk")
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, colour, interlace = header[8], header[9], header[12]
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"unsupported PNG: bit depth {depth}, colour type {colour}, interlace {interlace}")
    return width, height, channels, unfilter(zlib.decompress(b"".join(idat)), width, height, channels)


def hex_colour(text):
    match = re.fullmatch(r"#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})", text or "")
    return tuple(int(part, 16) for part in match.groups()) if match else None


def check_screenshot(png, series_colours):
    """Findings about a screenshot that would mean the page did not render, and a summary."""
    try:
        width, height, channels, pixels = decode_png(png)
    except (ValueError, zlib.error) as error:
        return [Finding("screenshot", f"cannot decode the PNG: {error}")], "an undecodable screenshot"
    # Colour counts, alpha ignored: the page is opaque.
    counts = collections.Counter(zip(pixels[0::channels], pixels[1::channels], pixels[2::channels]))
    total = width * height
    background, background_count = counts.most_common(1)[0]
    share = 1 - background_count / total
    findings = []
    # The report sets no page background: a decoding error would show here first.
    if background != (255, 255, 255):
        findings.append(Finding("screenshot", f"the most common colour is {background}, not the page's white"))
    if share < 0.02:
        findings.append(Finding("screenshot", f"only {share:.2%} of pixels differ from the background {background}"))
    if len(counts) < 50:
        findings.append(Finding("screenshot", f"only {len(counts)} distinct colours"))
    # Each strategy's colour (kPalette in html_report.cc, read here from the
    # sales chart's lines) must show: the lines are antialiased, but the
    # points' centres are solid.
    visible = []
    for colour in series_colours:
        near = sum(count for pixel, count in counts.items() if max(abs(p - c) for p, c in zip(pixel, colour)) <= 24)
        if near >= 20:
            visible.append(colour)
    if len(visible) < len(STRATEGIES):
        findings.append(Finding("screenshot", f"{len(visible)} of the series colours "
                                f"{['#%02X%02X%02X' % c for c in series_colours]} are visible, expected "
                                f"{len(STRATEGIES)}, one per strategy"))
    return findings, f"screenshot {width}x{height} with {share:.1%} non-background pixels, {len(counts)} colours"


# --- The test ----------------------------------------------------------------

def run(command, what):
    """Runs a ticketsim command; a non-zero status is a Failure with its output."""
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise Failure(f"{what} exited with status {result.returncode}: {' '.join(command)}\n"
                      f"{result.stdout}{result.stderr}")


def chart_ids_in(path):
    return re.findall(r'<figure class="chart" id="([^"]+)"', pathlib.Path(path).read_text())


def self_check(browser, session, temp):
    """The checks must flag the broken page: otherwise their silence on the report means nothing.

    Returns the failures and how many findings the broken page drew.
    """
    broken = temp / "broken.html"
    broken.write_text(BROKEN_PAGE)
    findings, _ = check_page(browser, session, broken)
    # A page of one line of black text: blank by the screenshot's measure.
    screenshot = base64.b64decode(browser.call("Page.captureScreenshot", {"format": "png"}, session)["data"])
    findings += check_screenshot(screenshot, [])[0]
    kinds = collections.Counter(finding.kind for finding in findings)
    failures = []
    for kind, what in [("exception", "the exception"), ("console", "the console.error"),
                       ("log", "the error log entry for missing.png"), ("network", "the request for missing.png")]:
        if not kinds[kind]:
            failures.append(f"self-check: the checker did not report {what} on {broken.name}")
    if not any(f.kind == "screenshot" and "pixels differ" in f.message for f in findings):
        failures.append(f"self-check: the checker did not find the screenshot of {broken.name} blank")
    missing = sum(1 for f in findings if f.kind == "dom" and f.message.startswith("no element #"))
    if missing != len(CHART_IDS):
        failures.append(f"self-check: the checker reported {missing} of the {len(CHART_IDS)} missing charts "
                        f"on {broken.name}")
    if not any(f.kind == "exception" and "undefined_function" in f.message for f in findings):
        failures.append("self-check: the exception reported does not name undefined_function")
    return failures, len(findings)


def print_chromium_log(path):
    """The end of Chromium's output, less its complaints that there is no D-Bus (there is none in CI either)."""
    lines = [line for line in path.read_text(errors="replace").splitlines()
             if line.strip() and ":ERROR:dbus/" not in line]
    if lines:
        print("html_report: the end of chromium's output:\n  " + "\n  ".join(lines[-20:]))


def main():
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("TICKETSIM_REQUIRE_CHROMIUM") == "1":
            print("html_report: FAIL: chromium is required (TICKETSIM_REQUIRE_CHROMIUM=1) but is not on PATH; "
                  "apt-get install chromium")
            return 1
        print("html_report: SKIP: chromium is not on PATH (apt-get install chromium)")
        return SKIP
    ticketsim = os.environ.get("TICKETSIM")
    if not ticketsim or not os.access(ticketsim, os.X_OK):
        print(f"html_report: FAIL: TICKETSIM must name the ticketsim binary (got {ticketsim!r})")
        return 1

    def watchdog(signum, frame):
        raise Failure(f"the test took more than {WATCHDOG_S} s")

    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(WATCHDOG_S)

    started = time.monotonic()
    temp = pathlib.Path(tempfile.mkdtemp(prefix="html_report_test."))
    browser = None
    show_chromium_log = False  # when the browser, not the page, failed
    failures = []
    try:
        scenario = temp / "html-report-test.toml"
        scenario.write_text(SCENARIO)
        report, json_export, again = temp / "report.html", temp / "report.json", temp / "again.html"
        stores = temp / "stores"
        stores.mkdir()
        run([ticketsim, "compare", str(scenario), "--store-dir", str(stores),
             "--export", str(report), "--export", str(json_export)], "ticketsim compare")
        for path in (report, json_export):
            if not path.is_file():
                raise Failure(f"ticketsim compare exited 0 but did not write {path.name}")
        run([ticketsim, "report", str(json_export), "--export", str(again)], "ticketsim report")
        if not again.is_file():
            raise Failure("ticketsim report exited 0 but did not write again.html")
        for path in (report, again):
            ids = chart_ids_in(path)
            if sorted(ids) != sorted(CHART_IDS):
                failures.append(f"{path.name} has the charts {ids}, expected {CHART_IDS}")

        profile = temp / "chromium-profile"
        profile.mkdir()
        browser = Chromium(chromium, profile, temp / "chromium.log")
        session = browser.attach_to_page()

        findings, dom = check_page(browser, session, report)
        failures += [f"report.html: {finding}" for finding in findings]
        console_errors = sum(1 for f in findings if f.kind in ("exception", "console", "log"))
        # The report is still the page shown.
        screenshot = base64.b64decode(browser.call("Page.captureScreenshot", {"format": "png"}, session)["data"])
        if os.environ.get("TICKETSIM_SCREENSHOT"):
            pathlib.Path(os.environ["TICKETSIM_SCREENSHOT"]).write_bytes(screenshot)
        (temp / "report.png").write_bytes(screenshot)
        series_colours = []
        sales_chart = ((dom or {}).get("charts") or {}).get("sales-per-second") or {}
        for series in sales_chart.get("series", []):
            colour = hex_colour(series["stroke"])
            if colour and colour not in series_colours:
                series_colours.append(colour)
        shot_findings, shot_summary = check_screenshot(screenshot, series_colours)
        failures += [f"report.html: {finding}" for finding in shot_findings]

        findings, _ = check_page(browser, session, again)
        failures += [f"again.html: {finding}" for finding in findings]

        self_check_failures, broken_findings = self_check(browser, session, temp)
        failures += self_check_failures
    except Failure as error:
        failures.append(str(error))
        if browser is not None:
            show_chromium_log = True
    finally:
        signal.alarm(0)
        if browser is not None:
            browser.close()
            if show_chromium_log:
                print_chromium_log(temp / "chromium.log")
        shutil.rmtree(temp, ignore_errors=True)

    elapsed = time.monotonic() - started
    if failures:
        print(f"html_report: FAIL ({len(failures)} problem{'s' if len(failures) != 1 else ''}, {elapsed:.1f} s):")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print(f"html_report: {len(CHART_IDS)} charts in report.html and again.html, {console_errors} console errors, "
          f"no network request, {shot_summary}; the broken page drew {broken_findings} findings as it must "
          f"({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
