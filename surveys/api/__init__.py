"""The surveys API (``/api/v1/surveys``): thin flask-smorest views over the survey services."""
