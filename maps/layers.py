"""Compact folium layers: data goes into the page once, as JSON arrays, and a few lines of JavaScript draw it.

A hexagon is ``[readings, dead spots, [lat, lon, lat, lon, ...]]`` rather than a GeoJSON feature (about a third
of the bytes); a point is ``[lat, lon, style, popup, tooltip]``. Popup and tooltip strings are HTML that the
builders made with every user-typed value escaped; the JSON is embedded with ``<``, ``>``, ``&`` and ``'`` as
``\\uXXXX`` escapes, so no value can close the script element it sits in.
"""

import json

from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from jinja2 import Template


def js_json(value) -> str:
    """JSON safe to put inside a ``<script>`` element."""
    return (
        json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class HexagonLayer(Layer):
    """H3 cells filled by dead-spot share (colour) and number of readings (opacity)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var bins = {{ this.bins_json }}, colours = {{ this.colours_json }}, rows = {{ this.rows_json }};
            var group = L.featureGroup();
            function colour(share) {
                var found = colours[0];
                for (var i = 1; i < bins.length; i++) { if (share >= bins[i]) { found = colours[i]; } }
                return found;
            }
            for (var i = 0; i < rows.length; i++) {
                var row = rows[i], share = row[0] ? row[1] / row[0] : 0, ring = [];
                for (var j = 0; j < row[2].length; j += 2) { ring.push([row[2][j], row[2][j + 1]]); }
                var fill = colour(share);
                L.polygon(ring, {
                    color: fill, weight: 0.6, fillColor: fill,
                    fillOpacity: Math.min(0.85, 0.3 + 0.15 * Math.log10(row[0]))
                }).bindTooltip(Math.round(share * 100) + "% dead spots: " + row[1] + " of " + row[0] + " readings")
                  .addTo(group);
            }
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list, bins: list[float], colours: list[str], name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "HexagonLayer"
        self.rows_json = js_json(rows)
        self.bins_json = js_json(bins)
        self.colours_json = js_json(colours)


class PointLayer(JSCSSMixin, Layer):
    """Circle markers with a style per row, optional HTML popup and tooltip; clustered when asked."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var styles = {{ this.styles_json }}, rows = {{ this.rows_json }}, markers = [];
            for (var i = 0; i < rows.length; i++) {
                var row = rows[i], marker = L.circleMarker([row[0], row[1]], styles[row[2]]);
                if (row[3]) { marker.bindPopup(row[3], {maxWidth: 380}); }
                if (row[4]) { marker.bindTooltip(row[4]); }
                markers.push(marker);
            }
            {%- if this.cluster_class %}
            var group = L.markerClusterGroup({
                maxClusterRadius: 50,
                iconCreateFunction: function (cluster) {
                    return L.divIcon({
                        html: "<div><span>" + cluster.getChildCount() + "</span></div>",
                        className: "marker-cluster {{ this.cluster_class }}",
                        iconSize: new L.Point(40, 40)
                    });
                }
            });
            group.addLayers(markers);
            {%- else %}
            var group = L.featureGroup(markers);
            {%- endif %}
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        rows: list,
        styles: list[dict],
        name: str,
        cluster_class: str | None = None,
        show: bool = True,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PointLayer"
        self.rows_json = js_json(rows)
        self.styles_json = js_json(styles)
        self.cluster_class = cluster_class
        if cluster_class:
            self.default_js = [("markerclusterjs", "leaflet.markercluster.js")]
            self.default_css = [
                ("markerclustercss", "MarkerCluster.css"),
                ("markerclusterdefaultcss", "MarkerCluster.Default.css"),
            ]
        else:
            self.default_js, self.default_css = [], []


class AreaLayer(Layer):
    """GeoJSON areas (or points) filled with the colour in ``properties.c``; tooltip HTML in ``properties.t``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
            style: function (feature) {
                return {color: "#444", weight: 0.8, fillColor: feature.properties.c, fillOpacity: 0.75};
            },
            pointToLayer: function (feature, latlng) {
                return feature.properties.r ? L.circle(latlng, {radius: feature.properties.r})
                                            : L.circleMarker(latlng, {radius: 10});
            },
            onEachFeature: function (feature, layer) { layer.bindTooltip(feature.properties.t); }
        });
        {% endmacro %}
        """
    )

    def __init__(self, collection: dict, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "AreaLayer"
        self.data_json = js_json(collection)


class InfoBox(MacroElement):
    """A fixed box on the map (legend, caption) with HTML made by the builders."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var box = L.control({position: {{ this.position_json }}});
            box.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class_json }});
                div.innerHTML = {{ this.html_json }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            box.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str, css_class: str):
        super().__init__()
        self._name = "InfoBox"
        self.html_json = js_json(html)
        self.position_json = js_json(position)
        self.css_class_json = js_json(css_class)


MAP_CSS = """
<style>
.fieldops-box { background: rgba(255,255,255,0.92); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 13px/1.35 system-ui, sans-serif; max-width: 340px; }
.fieldops-box h4 { margin: 0 0 4px; font-size: 14px; }
.fieldops-box ul { margin: 2px 0 0; padding-left: 16px; }
.fieldops-swatch { display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px;
  border: 1px solid #555; }
.fieldops-swatch.round { border-radius: 50%; }
.fieldops-swatch.ring { border: 3px solid #000; width: 10px; height: 10px; }
.fieldops-popup table { border-collapse: collapse; font-size: 12px; }
.fieldops-popup th, .fieldops-popup td { border-bottom: 1px solid #ddd; padding: 2px 4px; text-align: left;
  vertical-align: top; }
.fieldops-popup .note { color: #555; font-style: italic; }
.marker-cluster.fo-overdue { background-color: rgba(165, 0, 38, 0.35); }
.marker-cluster.fo-overdue div { background-color: rgba(165, 0, 38, 0.85); color: #fff; }
.marker-cluster.fo-open { background-color: rgba(69, 117, 180, 0.35); }
.marker-cluster.fo-open div { background-color: rgba(69, 117, 180, 0.85); color: #fff; }
</style>
"""


def map_css() -> Element:
    return Element(MAP_CSS)
