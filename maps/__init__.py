"""Folium map builders over database aggregates, and the blueprint serving map pages."""
