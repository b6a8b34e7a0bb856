"""examples.visualize: the gallery is drawn (every picture the index links exists), looks like a page
in a real browser (headless Chromium: not blank, every image loaded), and the README's two pictures
are what the code draws today."""
import html.parser
import os
import pathlib
import shutil
import subprocess
import tempfile

import numpy
import pytest

from examples import visualize
from models.gallery import GALLERY

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
requires_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
requires_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                       "(Debian: apt-get install chromium)")
# Sets data-loaded="<loaded>/<all>" on <body> once the load event (which waits for every image) fired.
LOADED_PROBE = ('<script>window.addEventListener("load", () => { const images = [...document.images]; '
                'document.body.setAttribute("data-loaded", images.filter(image => image.complete && '
                'image.naturalWidth > 0).length + "/" + images.length); });</script>')


class Links(html.parser.HTMLParser):
    """Collects ``<img src>`` and ``<a href>`` of a page, and its text."""

    def __init__(self):
        super().__init__()
        self.images, self.links, self.text = [], [], []

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "img":
            self.images.append(attributes["src"])
        if tag == "a":
            self.links.append(attributes["href"])

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """The whole gallery, drawn once for this module: its folder."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    out = tmp_path_factory.mktemp("visualize")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TL_PROGRESS", "0")
        result = visualize.main(["--out", str(out)])
    assert result["models"] == len(GALLERY)
    return out / "graphs"


def parse(folder):
    page = Links()
    page.feed((folder / "index.html").read_text(encoding="utf-8"))
    return page


@requires_dot
def test_every_model_has_its_pictures_and_the_index_links_them_with_its_description(gallery):
    page = parse(gallery)
    text = " ".join(page.text)
    for entry in GALLERY:
        assert entry.description in text
        for suffix in ("_modules.png", "_modules.svg", "_ops.png", "_ops.svg"):
            assert (gallery / f"{entry.name}{suffix}").stat().st_size > 1000, (entry.name, suffix)
        assert f"{entry.name}_modules.png" in page.images and f"{entry.name}_ops.svg" in page.links
    for name in ("gpt", "lstm_lm"):  # the gradient pictures that teach something
        assert {f"{name}_grad.png", f"{name}_grad_bars.png"} <= set(page.images)
    assert {"residual_vs_plain.png", "residual_net_grad_bars.png", "plain_net_grad_bars.png"} <= set(page.images)
    for target in page.images + page.links:
        assert (gallery / target).exists(), target
    assert len(page.images) == len(set(page.images)) == len([name for name in os.listdir(gallery)
                                                             if name.endswith(".png")])


@requires_dot
def test_svgs_carry_tooltips(gallery):
    svg = (gallery / "gpt_modules.svg").read_text(encoding="utf-8")
    assert "<title>" in svg and "xlink:title" in svg


@requires_chromium
@requires_dot
def test_the_gallery_looks_like_a_page_in_headless_chromium(gallery, tmp_path):
    from PIL import Image

    probe = gallery / "loaded_probe.html"  # beside index.html, so the relative image paths resolve
    probe.write_text((gallery / "index.html").read_text(encoding="utf-8").replace("</body>", LOADED_PROBE + "</body>"),
                     encoding="utf-8")
    dom = chromium(["--dump-dom", probe.as_uri()])
    probe.unlink()
    images = len(parse(gallery).images)
    assert f'data-loaded="{images}/{images}"' in dom, "some images of index.html did not load"

    screenshot = tmp_path / "gallery.png"
    chromium([f"--screenshot={screenshot}", "--window-size=1400,2000", (gallery / "index.html").as_uri()])
    pixels = numpy.asarray(Image.open(screenshot).convert("L"), dtype=numpy.float64)
    assert pixels.shape == (2000, 1400)
    assert pixels.std() > 20  # a blank or single-colour page has (almost) none
    assert (pixels < 128).mean() > 0.01  # text and drawings: dark pixels


def chromium(arguments):
    """Run headless Chromium with a fresh profile; its stdout (the DOM for --dump-dom)."""
    with tempfile.TemporaryDirectory() as profile:
        completed = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
                                   capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


@requires_dot
def test_only_draws_the_chosen_models(tmp_path):
    result = visualize.main(["--out", str(tmp_path), "--only", "feedforward"])
    assert result["models"] == 1
    drawn = sorted(name for name in os.listdir(tmp_path / "graphs") if name.startswith("feedforward"))
    assert drawn == ["feedforward_modules.png", "feedforward_modules.svg", "feedforward_ops.png", "feedforward_ops.svg"]


@pytest.mark.parametrize("stem, draw", [("gpt_depth1", visualize.gpt_depth1_graph),
                                        ("grad_flow_residual", lambda: visualize.residual_lesson()[1])])
def test_the_readme_pictures_are_what_the_code_draws_today(stem, draw):
    kept = ROOT / "examples" / "readme" / f"{stem}.gv"
    assert (ROOT / "examples" / "readme" / f"{stem}.png").exists()
    assert draw().source == kept.read_text(encoding="utf-8"), (
        f"the README's {stem}.png is stale: python -m examples.visualize --readme")
