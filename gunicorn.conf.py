"""gunicorn settings read by ``gunicorn wsgi:app`` from the working directory.

Request lines up to gunicorn's maximum pass through to the app, whose own URL limit
(``server.limits.MAX_URL_LENGTH``, lower) answers with a problem document instead of gunicorn's HTML 414.
"""

limit_request_line = 8190  # gunicorn's maximum; keep above server.limits.MAX_URL_LENGTH + method and protocol
limit_request_fields = 100
limit_request_field_size = 8190
