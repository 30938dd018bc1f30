"""The app in a real browser: a Streamlit server on localhost driven by Debian's Chromium.

Picks GoogLeNet in the sidebar, opens one Inception block and checks its four branches are in
the rendered SVG, checks a Plotly chart draws on the Compute tab, downloads the SVG and parses
it, and saves a screenshot of every tab to test-output/ (and to docs/screenshots/, shown in
the README, when VIZCNN_UPDATE_SCREENSHOTS=1). Runs in CI: nothing here is skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import vizcnn
from vizcnn.words import human

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = (ROOT / "test-output",) + (
    (ROOT / "docs" / "screenshots",) if os.environ.get("VIZCNN_UPDATE_SCREENSHOTS") else ())
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 1000}
TIMEOUT_MS = 60_000
SPEED_APP: dict[str, dict] = {}   # measured here, reported in the README, never asserted
expect.set_options(timeout=TIMEOUT_MS)  # a cold server imports torch before its first page


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``streamlit run app.py`` on 127.0.0.1:port, returned once /_stcore/health answers."""
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
               "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                        timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise RuntimeError("streamlit did not become healthy within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def launch_chromium(playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = free_port()
    process = start_server(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)
        if SPEED_APP:
            SCREENSHOTS[0].mkdir(parents=True, exist_ok=True)
            (SCREENSHOTS[0] / "viewer_speed_app.json").write_text(
                json.dumps(SPEED_APP, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context (no shared cookies or history), closed afterwards."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    fresh = context.new_page()
    fresh.set_default_timeout(TIMEOUT_MS)
    try:
        yield fresh
    finally:
        context.close()


def choose(page: Page, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox or multiselect keyed ``key``."""
    page.locator(f".st-key-{key} [role='combobox']").first.click()
    page.get_by_role("option", name=option, exact=True).click()


_SCRIPT_STATE = "document.querySelector('[data-testid=stApp]')?.dataset.testScriptState"


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the rerun the last action set off. Under load a rerun
    may start well after the action, so the wait is for the app's own script state to leave
    'notRunning' (up to 1 s: an action may set off none), then to come back to it."""
    try:
        page.wait_for_function(f"() => {_SCRIPT_STATE} !== 'notRunning'", timeout=1_000)
    except PlaywrightTimeout:
        pass
    page.wait_for_function(f"() => {_SCRIPT_STATE} === 'notRunning'", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT_MS)


GRAPH = ".vzv-svg"   # the interactive viewer's drawing (vizcnn/render/viewer)


def graph_svg(page: Page) -> str:
    return page.locator(GRAPH).first.evaluate("e => e.outerHTML")


def viewer_ready(page: Page, renders: int = 0) -> dict:
    """Wait until the viewer has drawn a state newer than ``renders``; its timings."""
    page.wait_for_function(
        "n => { const v = document.querySelector('.vzv');"
        " return v && v.dataset.state === 'ready' && Number(v.dataset.renders) > n; }",
        arg=renders, timeout=TIMEOUT_MS)
    return json.loads(page.get_attribute(".vzv", "data-timings"))


# Every text of a box or frame inside its outline (the widest shape; the legend's frame for
# the legend): the [text, px outside] of those that are not.
TEXTS_OUTSIDE = """() => {
  const svg = document.querySelector('.vzv-svg'), out = [];
  const frames = new Map(Array.from(svg.querySelectorAll('g.cluster'))
    .map(c => [c.querySelector('title').textContent, c]));
  for (const g of svg.querySelectorAll('g.node, g.cluster')) {
    const own = frames.get('cluster_' + g.querySelector('title').textContent);
    const boxes = Array.from((own || g).querySelectorAll('path, polygon, ellipse'))
      .map(s => s.getBBox()).sort((a, b) => b.width - a.width);
    if (!boxes.length) continue;
    const b = boxes[0];
    for (const t of g.querySelectorAll('text')) {
      const r = t.getBBox();
      const over = Math.max(b.x - r.x, r.x + r.width - (b.x + b.width));
      if (over > 0.5) out.push([t.textContent, Math.round(over * 10) / 10]);
    }
  }
  return out;
}"""


def texts_outside_boxes(page: Page) -> list:
    return page.evaluate(TEXTS_OUTSIDE)


def click_in_viewer(page: Page, selector: str) -> dict:
    """Click a box or frame of the viewer (the viewer scrolled into the window first) and
    wait for its new layout; its timings. A rerun still running from the last click may
    mount the viewer again, so the click waits for it to end."""
    settle(page)
    page.locator(".vzv").evaluate("e => e.scrollIntoView({block: 'start'})")
    renders = int(page.get_attribute(".vzv", "data-renders") or 0)
    target = page.locator(f"{GRAPH} {selector}").first
    target.evaluate("(g, v) => v.centreOn(g)",
                    page.locator(".vzv").evaluate_handle("e => e.vizcnnViewer"))
    box = target.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + min(8, box["height"] / 2))
    return viewer_ready(page, renders)


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    settle(page)


def screenshot(page: Page, name: str, graph_text: str | None = None) -> None:
    """The tab bar just under the app header, so the picture shows which tab it is; with
    ``graph_text``, the graph frame is scrolled to the box or frame of that name."""
    page.get_by_role("tablist").first.evaluate(
        "e => { e.scrollIntoView({block: 'start'});"
        " document.querySelector('[data-testid=stMain]').scrollBy(0, -70); }")
    if graph_text is not None:   # the viewer under the app's header, the box in its middle
        page.locator(".vzv").evaluate(
            "(e, name) => { e.scrollIntoView({block: 'start'});"
            " document.querySelector('[data-testid=stMain]').scrollBy(0, -70);"
            " e.vizcnnViewer.centre(name); }", graph_text)
    page.wait_for_timeout(400)
    for folder in SCREENSHOTS:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))


def test_googlenet_in_a_real_browser(server_url: str, page: Page) -> None:
    page.goto(server_url)
    expect(page.locator(GRAPH)).to_be_visible()
    viewer_ready(page)
    settle(page)
    before = int(page.get_attribute(".vzv", "data-renders"))
    page.locator(".st-key-family [role='combobox']").first.click()
    option = page.get_by_role("option", name="GoogLeNet", exact=True)
    option.wait_for()
    chosen = time.perf_counter()   # the click on the option is the choice
    clicked_at = page.evaluate("() => performance.now()")
    option.click()
    drawn = viewer_ready(page, before)
    interactive = time.perf_counter() - chosen   # model chosen → the graph reacts to clicks
    drawn["until_draw_ms"] = drawn["started_at_ms"] - clicked_at   # the app's run, the mount
    expect(page.locator(f"{GRAPH} [data-frame='inception3a']")).to_have_count(1)
    settle(page)
    expect(page.locator(".st-key-model_card")).to_contain_text("Going Deeper")
    assert texts_outside_boxes(page) == []   # the app's fonts fit the layout's text widths

    # Depth 1: every Inception block is one closed box, no branch is drawn.
    page.locator(".st-key-g_depth input[type='range']").focus()
    page.keyboard.press("Home")
    settle(page)
    expect(page.locator(f"{GRAPH} [data-block='inception3a']")).to_have_count(1)
    expect(page.locator(GRAPH)).not_to_contain_text("branch1")

    # Click inception3a: it opens one level, its four branches side by side meeting in the
    # concat, inception3b stays closed; the block picker and the URL follow the click.
    opened = click_in_viewer(page, "[data-block='inception3a']")
    branches = [f"inception3a.branch{i}" for i in range(1, 5)]
    lefts = [page.locator(f"{GRAPH} [data-block='{b}']").bounding_box()["x"] for b in branches]
    assert lefts == sorted(lefts) and len(set(round(x) for x in lefts)) == 4
    edges = page.locator(f"{GRAPH} g.edge title").all_text_contents()
    assert all(f"{b}->inception3a/cat" in edges for b in branches)
    assert page.locator(f"{GRAPH} [data-block='inception3b']").count() == 1
    page.wait_for_url(re.compile(r"open=inception3a"))
    expect(page.locator(".st-key-g_expand")).to_contain_text("inception3a · Inception")
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "graph", graph_text="inception3a")

    # A click on its frame closes it again, and the picker empties.
    click_in_viewer(page, "[data-frame='inception3a'] > text")
    expect(page.locator(f"{GRAPH} [data-block='inception3a']")).to_have_count(1)
    expect(page.locator(".st-key-g_expand")).not_to_contain_text("inception3a · Inception")

    # The picker opens blocks too (one level, as a click does).
    settle(page)
    page.locator(".st-key-g_expand").evaluate("e => e.scrollIntoView({block: 'center'})")
    choose(page, "g_expand", "inception3a · Inception")
    page.keyboard.press("Escape")
    settle(page)
    expect(page.locator(f"{GRAPH} [data-block='inception3a.branch4']")).to_have_count(1)
    svg = graph_svg(page)
    assert "inception3b.branch1" not in svg
    SPEED_APP["googlenet"] = {"model_choice_to_interactive_s": round(interactive, 2),
                              "its_draw_ms": {k: round(drawn[k]) for k in (
                                  "until_draw_ms", "layout_ms", "show_ms", "paint_ms",
                                  "total_ms")},
                              "click_to_open_ms": round(opened["total_ms"])}

    with page.expect_download() as download_info:
        page.locator(".st-key-dl_svg button").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".svg")
    root = ET.parse(download.path()).getroot()
    assert root.tag.endswith("svg")
    assert "inception3a.branch2" in ET.tostring(root, encoding="unicode")
    # PNG and PDF are rendered only when clicked (on a server thread): check they arrive
    for key, magic in (("dl_png", b"\x89PNG"), ("dl_pdf", b"%PDF"), ("dl_dot", b"digraph")):
        with page.expect_download() as download_info:
            page.locator(f".st-key-{key} button").click()
        assert Path(download_info.value.path()).read_bytes().startswith(magic), key

    open_tab(page, "Layers")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_test_id("stMetric").first).to_be_visible()
    expect(page.get_by_text("MACs (multiply-accumulates)").first).to_be_visible()
    screenshot(page, "layers")

    open_tab(page, "Compute")
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    assert page.locator(".js-plotly-plot").count() == 5
    screenshot(page, "compute")

    open_tab(page, "Compare")
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    screenshot(page, "compare")

    open_tab(page, "Learn")
    expect(page.get_by_role("tabpanel").last).to_contain_text("Inception")
    screenshot(page, "learn")
    assert page.get_by_test_id("stException").count() == 0


@pytest.mark.parametrize("size", [(1280, 800), (1440, 900)])
def test_the_first_screen_shows_the_graph(server_url: str, browser: Browser,
                                          size: tuple[int, int]) -> None:
    """At a usual window, unscrolled: the viewer's stage starts on the screen and nearly all
    of it (and the graph drawn in it) is visible."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{server_url}/?model=googlenet")
        viewer_ready(page)
        settle(page)
        stage = page.locator(".vzv-stage").bounding_box()
        seen = min(height, stage["y"] + stage["height"]) - stage["y"]
        assert 0 < stage["y"] < height, stage
        assert seen >= 0.95 * stage["height"] >= 0.4 * height * 0.95, stage
        graph = page.locator(f"{GRAPH} g.node").first.bounding_box()   # a box is drawn there
        assert stage["y"] <= graph["y"] and graph["y"] + graph["height"] <= height
        for folder in SCREENSHOTS:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / f"first_screen_{width}x{height}.png"))
    finally:
        context.close()


def test_bad_input_shows_an_error_not_a_traceback(server_url: str, page: Page) -> None:
    page.goto(f"{server_url}/?model=alexnet&input=1x3x16x16")
    alert = page.get_by_test_id("stAlertContentError").first
    expect(alert).to_contain_text("features")
    expect(alert).to_contain_text("63×63")
    assert page.get_by_test_id("stException").count() == 0
    assert re.search(r"Traceback", page.content()) is None


def test_a_bad_number_is_refused_with_its_range(server_url: str, page: Page) -> None:
    """Typed into the browser's field (a number widget used to turn "1e3" into 1 on its
    own): the main area says what is accepted and shows no graph, not the previous one."""
    page.goto(f"{server_url}/?model=resnet18")
    expect(page.locator(GRAPH)).to_be_visible()
    field = page.locator(".st-key-height input")
    field.fill("1e3")
    field.press("Enter")
    settle(page)
    alert = page.get_by_test_id("stAlertContentError").first
    expect(alert).to_contain_text("“1e3” is not a whole number")
    expect(alert).to_contain_text("1 to 4,096")
    expect(page.locator(GRAPH)).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS[0] / "refused.png"))
    field.fill("160")
    field.press("Enter")
    settle(page)
    expect(page.locator(GRAPH)).to_be_visible()
    assert "1×3×160×224" in summary_line(page)


def checked(page: Page, key: str) -> list[bool]:
    """Which options of the radio keyed ``key`` the browser shows as selected."""
    return page.locator(f".st-key-{key} input[type='radio']").evaluate_all(
        "els => els.map(e => e.checked)")


SUMMARY = re.compile(r"(Input|输入) \d+×\d+×\d+×\d+ ·")


def summary_line(page: Page) -> str:
    """The one-line summary under the model card (input, layers, params, MACs, FLOPs)."""
    return page.get_by_test_id("stMarkdown").filter(has_text=SUMMARY).first.inner_text()


def test_switching_language_keeps_every_choice(server_url: str, page: Page) -> None:
    """The browser holds a radio's or selectbox's value as its label: after a switch of
    language it used to send the old label back, so Streamlit reset the widget (the graph
    direction, the chart metric) or, with a custom input size, crashed the preset callback."""
    page.goto(f"{server_url}/?model=googlenet&input=1x3x100x224&mode=train&lang=zh")
    expect(page.locator(GRAPH)).to_be_visible()
    page.locator(".st-key-g_direction").get_by_text("从左到右").click()
    settle(page)
    open_tab(page, "计算量")
    page.locator(".st-key-c_metric").get_by_text("FLOPs", exact=False).click()
    settle(page)
    for language in ("English", "中文", "English", "中文"):
        page.locator(".st-key-lang").get_by_text(language, exact=True).click()
        settle(page)
        assert page.get_by_test_id("stException").count() == 0, language
        assert checked(page, "c_metric") == [False, True, False, False], language
        assert checked(page, "mode") == [False, True], language
        assert "1×3×100×224" in summary_line(page), language
    open_tab(page, "结构图")
    assert checked(page, "g_direction") == [False, True]
    open_tab(page, "各层")  # no total is cut short ("缓冲区（BN 统计…", "2…" for 25.6M)
    for width, height in ((1440, 1000), (1024, 768)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)
        texts = page.get_by_test_id("stMetric").locator(".stMarkdownEllipsis")  # 5 × 2
        expect(texts).to_have_count(10)
        widths = texts.evaluate_all(
            "els => els.map(e => [e.textContent, e.scrollWidth, e.clientWidth])")
        assert all(scroll <= client for _, scroll, client in widths), (width, widths)


def test_shared_url_and_back_forward_buttons(server_url: str, page: Page) -> None:
    page.goto(f"{server_url}/?model=mobilenet_v2")
    expect(page.locator(GRAPH)).to_be_visible()
    choose(page, "opt_width_mult", "0.5")
    settle(page)
    choose(page, "preset", "160 × 160")
    settle(page)
    page.wait_for_url(re.compile(r"input=1x3x160x160"))  # written at the end of the rerun
    shared, line = page.url, summary_line(page)
    assert "1×3×160×160" in line and "o.width_mult=0.5" in shared

    other = page.context.new_page()  # the link opened in a fresh page shows the same view
    other.goto(shared)
    expect(other.locator(GRAPH)).to_be_visible()
    assert summary_line(other) == line
    other.close()

    summary = page.get_by_test_id("stMarkdown").filter(has_text=SUMMARY).first
    half = human(vizcnn.trace("mobilenet_v2", (1, 3, 224, 224), width_mult=0.5).params)
    full = human(vizcnn.trace("mobilenet_v2", (1, 3, 224, 224)).params)
    page.go_back()  # 160 → 224, still width 0.5
    expect(summary).to_have_text(re.compile(rf"1×3×224×224 · .* {re.escape(half)} "))
    settle(page)
    page.go_back()  # width 0.5 → 1.0
    expect(summary).to_have_text(re.compile(rf"1×3×224×224 · .* {re.escape(full)} "))
    settle(page)
    expect(page.locator(".st-key-opt_width_mult [role='combobox']")).to_have_value("1.0")
    page.go_forward()
    page.go_forward()
    settle(page)
    expect(summary).to_have_text(line)
    assert page.url == shared
    assert page.get_by_test_id("stException").count() == 0


def test_a_fully_opened_resnet152_in_the_viewer(server_url: str, page: Page) -> None:
    """517 boxes: link to interactive, then a frame closed and opened again by clicks
    (timed for the README, not asserted)."""
    page.goto(f"{server_url}/?model=resnet152&depth=4")
    started = time.perf_counter()
    first = viewer_ready(page)
    loaded = time.perf_counter() - started
    assert first["boxes"] > 500
    click_in_viewer(page, "[data-frame='layer1.0'] > text")
    expect(page.locator(f"{GRAPH} [data-block='layer1.0']")).to_have_count(1)
    opened = click_in_viewer(page, "[data-block='layer1.0']")
    expect(page.locator(f"{GRAPH} [data-frame='layer1.0']")).to_have_count(1)
    assert page.get_by_test_id("stException").count() == 0
    SPEED_APP["resnet152 (every layer)"] = {"link_to_interactive_s": round(loaded, 2),
                                           "boxes": first["boxes"],
                                           "click_to_open_ms": round(opened["total_ms"])}
