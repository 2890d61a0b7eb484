"""Leaflet and its plugins from packages installed with the project, never from a CDN.

folium names each script and style sheet it needs (``default_js`` / ``default_css``, pointing at CDNs). Before a map
is rendered, ``localise`` points every one of them at a file shipped by an installed package (the XStatic packages
for Leaflet and Leaflet.markercluster, folium itself for Leaflet.heat) or drops the ones these maps do not use
(jQuery, Bootstrap, Font Awesome, awesome-markers: the maps draw circle markers and plain HTML). A resource with
no local copy is an error, so a CDN URL can never slip into a page. ``inline`` turns the links into inline
``<script>``/``<style>`` blocks (images as data URIs) for a file that opens with no server at all.
"""

import base64
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import folium
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from branca.element import Element, Figure
from folium.elements import JSCSSMixin

# library name in URLs -> (directory of its files, version)
LIBRARIES: dict[str, tuple[Path, str]] = {
    "leaflet": (Path(xstatic.pkg.leaflet.BASE_DIR), xstatic.pkg.leaflet.VERSION),
    "markercluster": (Path(xstatic.pkg.leaflet_markercluster.BASE_DIR), xstatic.pkg.leaflet_markercluster.VERSION),
    "heat": (Path(folium.__file__).parent / "templates", folium.__version__),
}


@dataclass(frozen=True)
class Resource:
    library: str
    filename: str


# folium's resource names -> the local file that replaces the CDN URL
LOCAL_RESOURCES: dict[str, Resource] = {
    "leaflet": Resource("leaflet", "leaflet.js"),
    "leaflet_css": Resource("leaflet", "leaflet.css"),
    "markerclusterjs": Resource("markercluster", "leaflet.markercluster.js"),
    "markerclustercss": Resource("markercluster", "MarkerCluster.css"),
    "markerclusterdefaultcss": Resource("markercluster", "MarkerCluster.Default.css"),
    "leaflet-heat.js": Resource("heat", "leaflet_heat.min.js"),
}
# folium's defaults that these maps never use; left out of the page.
UNUSED_RESOURCES = frozenset(
    {
        "jquery",
        "bootstrap",
        "bootstrap_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
        "glyphicons_css",
    }
)
SERVED_SUFFIXES = (".js", ".css", ".png")


class UnknownResource(RuntimeError):
    """A folium element wants a script or style sheet that has no local copy."""


def asset_file(library: str, filename: str) -> Path | None:
    """The installed file behind ``/maps/assets/<library>/<filename>``, or None (unknown or not a web asset)."""
    entry = LIBRARIES.get(library)
    if entry is None or not filename.endswith(SERVED_SUFFIXES):
        return None
    base = entry[0].resolve()
    path = (base / filename).resolve()
    if base not in path.parents or not path.is_file():
        return None
    return path


def library_version(library: str) -> str:
    return LIBRARIES[library][1]


def _elements(root: Element):
    stack = [root]
    while stack:
        element = stack.pop()
        yield element
        stack.extend(element._children.values())


def _local(resources: list[tuple[str, str]], url_for: Callable[[Resource], str]) -> list[tuple[str, str]]:
    local = []
    for name, url in resources:
        if name in UNUSED_RESOURCES:
            continue
        if name not in LOCAL_RESOURCES:
            raise UnknownResource(f"no local copy of {name!r} ({url}); add it to maps.assets.LOCAL_RESOURCES")
        local.append((name, url_for(LOCAL_RESOURCES[name])))
    return local


def localise(root: Element, url_for: Callable[[Resource], str]) -> None:
    """Point every script and style sheet that the elements under ``root`` need at local files."""
    for element in _elements(root):
        if isinstance(element, JSCSSMixin):
            # instance attributes: folium's class-level lists stay untouched
            element.default_js = _local(element.default_js, url_for)
            element.default_css = _local(element.default_css, url_for)


INLINE_PREFIX = "fieldops-inline:"
_SCRIPT_LINK = re.compile(r'<script src="fieldops-inline:([\w.-]+)/([\w.-]+)"></script>')
_CSS_LINK = re.compile(r'<link rel="stylesheet" href="fieldops-inline:([\w.-]+)/([\w.-]+)"/>')
_CSS_URL = re.compile(r"url\((images/[\w.-]+\.png)\)")
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


def _inline_url(resource: Resource) -> str:
    return f"{INLINE_PREFIX}{resource.library}/{resource.filename}"


@cache
def _inline_script(library: str, filename: str) -> str:
    text = asset_file(library, filename).read_text(encoding="utf-8")
    text = _SOURCE_MAP.sub("", text).replace("</script", "<\\/script")
    return f"<script>/* {library} {library_version(library)} */\n{text}\n</script>"


@cache
def _inline_style(library: str, filename: str) -> str:
    base = asset_file(library, filename).parent

    def data_uri(match: re.Match) -> str:
        image = base / match.group(1)
        if not image.is_file():
            return "none"
        kind = mimetypes.guess_type(image.name)[0] or "image/png"
        return f"url(data:{kind};base64,{base64.b64encode(image.read_bytes()).decode()})"

    text = _CSS_URL.sub(data_uri, asset_file(library, filename).read_text(encoding="utf-8"))
    text = text.replace("</style", "<\\/style")
    return f"<style>/* {library} {library_version(library)} */\n{text}\n</style>"


def render_standalone(figure: Figure) -> str:
    """The whole page with every script and style sheet inlined: one file that needs no server."""
    localise(figure, _inline_url)
    page = figure.render()
    page = _SCRIPT_LINK.sub(lambda m: _inline_script(m.group(1), m.group(2)), page)
    page = _CSS_LINK.sub(lambda m: _inline_style(m.group(1), m.group(2)), page)
    if INLINE_PREFIX in page:
        raise UnknownResource("a resource link was left in the standalone page")
    return page
