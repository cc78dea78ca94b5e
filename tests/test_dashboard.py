"""The web dashboard (``serve --dashboard PORT``): JSON endpoints, and the page in Chromium.

The browser test drives Debian's chromium through its chromedriver with the W3C
WebDriver protocol, which is plain JSON over HTTP: a few urllib calls, no client
library (selenium 4.52 needs a newer certifi than the package index here has).
Without chromium it is skipped with a loud "!!! SKIPPED" reason, and it fails
instead under CI (CI=true) unless ACTORGRPC_ALLOW_SKIP=1, as the polyglot tests do.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

import actorgrpc

from .support import ArbiterProcess, logged_url, wait_for, wait_for_async

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Flags that keep headless Chromium off the network (closed here) and quiet.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1300,900"]
#: Seconds for the page to show what the arbiter knows: it polls once a second; the
#: margin covers Chromium's start on a loaded 2-core machine.
PAGE_DEADLINE = 30.0


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    arbiter = ArbiterProcess("--dashboard", "0", "--monitor", "dpool=1",
                             "--heartbeat-interval", "0.2",
                             run_dir=str(tmp_path_factory.mktemp("run")))
    arbiter.url = logged_url(arbiter, "dashboard on", r"(http://\S+/)")
    yield arbiter
    arbiter.stop_and_check()


def get(url: str):
    # 10 s bound: every endpoint answers from the arbiter's loop in milliseconds
    # (an actor's info is bounded at 2 s by the dashboard itself).
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
        if response.headers["Content-Type"].startswith("application/json"):
            return json.loads(body)
        return body.decode()


async def test_json_endpoints(dashboard):
    url = dashboard.url
    async with actorgrpc.connect(dashboard.address) as client:
        proxy = await client.spawn(name="dash-1")
        for number in range(10):
            await client.send(proxy, "add", number, 1)
        # Rates come from heartbeats (every 0.2 s) sampled once a second over 3 s.
        await wait_for_async(lambda: any(p[1] > 0 for p in get(url + "api/rates")["points"]),
                             PAGE_DEADLINE, "a non-zero message rate")
        overview = get(url + "api/overview")
        assert overview["address"] == dashboard.address
        assert overview["states"]["running"] >= 2
        assert overview["monitors"] == {"dpool": {"num_workers": 1, "workers": 1}}
        actors = {a["actor"]["name"]: a for a in get(url + "api/actors")}
        assert actors["dash-1"]["state"] == "running" and actors["dash-1"]["kind"] == "process"
        assert actors["dpool-0"]["monitor"] == "dpool"
        detail = get(url + "api/actors/dash-1")
        assert detail["info"]["actor"]["aid"] == proxy.aid
        assert detail["info"]["events"]["processed_by_action"]["add"] == 10
        assert [e["type"] for e in detail["events"]][::-1] == ["spawned", "running"]
        await client.stop("dash-1")
        assert "dash-1" not in {a["actor"]["name"] for a in get(url + "api/actors")}
        exited = {a["actor"]["name"]: a for a in get(url + "api/actors?all=1")}
        assert exited["dash-1"]["state"] == "closed"
        logs = get(url + "api/actors/dash-1/logs?n=5")["lines"]
        assert any("stopping" in line for line in logs)
        history = get(url + "api/events?types=exited&n=10")
        assert history[0]["name"] == "dash-1" and history[0]["detail"] == "exit code 0"
        assert "<title>actorgrpc dashboard</title>" in get(url)
        assert "function refresh" in get(url + "static/app.js")


def test_errors_are_json_and_the_server_is_read_only(dashboard):
    for path, code in (("api/actors/nobody", 404), ("api/nothing", 404), ("secret", 404)):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(dashboard.url + path, timeout=10)
        assert caught.value.code == code
        assert "error" in json.loads(caught.value.read())
    request = urllib.request.Request(dashboard.url + "api/actors", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 405
    assert dashboard.url.startswith("http://127.0.0.1:")


# -- in a real browser -----------------------------------------------------------------

def _require_browser():
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    if not missing:
        return
    message = (f"!!! SKIPPED: {', '.join(missing)} not installed "
               "(apt-get install -y chromium chromium-driver)")
    if os.environ.get("CI") and os.environ.get("ACTORGRPC_ALLOW_SKIP") != "1":
        pytest.fail(message.replace("SKIPPED", "MISSING") + "; ACTORGRPC_ALLOW_SKIP=1 to skip")
    pytest.skip(message)


class WebDriver:
    """Just enough of the W3C WebDriver protocol, spoken to a chromedriver process."""

    ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

    def __init__(self, profile_dir: str):
        self.process = subprocess.Popen([CHROMEDRIVER, "--port=0"], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        port = None
        for line in self.process.stdout:
            match = re.search(r"started successfully on port (\d+)", line)
            if match:
                port = match.group(1)
                break
        assert port, "chromedriver did not start"
        self.base = f"http://127.0.0.1:{port}"
        self.session = None
        options = {"binary": CHROMIUM,
                   "args": [*CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}"]}
        self.session = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})["sessionId"]

    def call(self, method: str, path: str, body=None):
        if self.session and not path.startswith("/session/"):
            path = f"/session/{self.session}{path}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            # 60 s bound: starting Chromium is the slowest call (~1 s here).
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"WebDriver {method} {path}: {exc.read()[:500]!r}") from None

    def open(self, url: str) -> None:
        self.call("POST", "/url", {"url": url})

    def script(self, source: str, *args):
        return self.call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def element(self, css: str) -> str:
        return self.call("POST", "/element", {"using": "css selector", "value": css})[
            self.ELEMENT]

    def click(self, element: str) -> None:
        self.call("POST", f"/element/{element}/click", {})

    def displayed(self, element: str) -> bool:
        return self.call("GET", f"/element/{element}/displayed")

    def screenshot(self, path) -> bytes:
        png = base64.b64decode(self.call("GET", "/screenshot"))
        path.write_bytes(png)
        return png

    def quit(self) -> None:
        try:
            if self.session:
                self.call("DELETE", "")
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def browser(tmp_path):
    _require_browser()
    driver = WebDriver(str(tmp_path / "profile"))
    yield driver
    driver.quit()


ROW_VISIBLE = """
const row = document.querySelector(`#actors tbody tr[data-name="${arguments[0]}"]`);
if (!row) return null;
const box = row.getBoundingClientRect();
const cells = Array.from(row.cells).map(c => c.textContent);
return {visible: box.width > 0 && box.height > 0 && box.top < window.innerHeight, cells};
"""

HISTORY_ROWS = """
return Array.from(document.querySelectorAll('#history tbody tr')).map(r => r.textContent);
"""
PEAK_RATE = """
const text = document.getElementById('rate-now').textContent;
return Number((text.match(/peak ([0-9.]+)/) || [])[1] || 0);
"""


async def test_the_page_shows_actors_info_logs_history_and_rates(dashboard, browser, tmp_path):
    async with actorgrpc.connect(dashboard.address) as client:
        proxy = await client.spawn(name="dash-web")
        for number in range(20):
            await client.send(proxy, "add", number, 1)
        old = await client.get_actor("dpool-0")
        with pytest.raises(actorgrpc.ActorUnavailable):
            await client.send(old, "crash", 9)
        browser.open(dashboard.url)
        row = wait_for(lambda: browser.script(ROW_VISIBLE, "dash-web"), PAGE_DEADLINE,
                       "the dash-web row")
        assert row["visible"] and proxy.aid in row["cells"] and "running" in row["cells"]
        png = browser.screenshot(tmp_path / "dashboard.png")
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000

        # The restart history shows the crashed worker's exit and its restart.
        history = wait_for(lambda: [row for row in browser.script(HISTORY_ROWS)
                                    if "restarted" in row and "dpool-0" in row],
                           PAGE_DEADLINE, "the restart in the history")
        assert old.aid in history[0]

        # The chart has a non-zero point once the 20 adds are in the heartbeats.
        wait_for(lambda: browser.script(PEAK_RATE) > 0, PAGE_DEADLINE, "a non-zero peak rate")

        # Clicking the row opens the actor's info and recent output.
        browser.click(browser.element('#actors tbody tr[data-name="dash-web"]'))
        info = wait_for(lambda: browser.script(
            "return document.getElementById('detail').hidden ? null : "
            "document.getElementById('detail-info').textContent"), PAGE_DEADLINE,
            "the detail panel")
        assert browser.displayed(browser.element("#detail-info"))
        data = json.loads(info)
        assert data["actor"]["aid"] == proxy.aid
        assert data["events"]["processed_by_action"]["add"] == 20
        browser.screenshot(tmp_path / "dashboard-detail.png")
        await client.stop("dash-web")
        # The row goes away once the actor has exited.
        wait_for(lambda: browser.script(ROW_VISIBLE, "dash-web") is None, PAGE_DEADLINE,
                 "the dash-web row to go")
