"""gunicorn settings read by ``gunicorn wsgi:app`` from the working directory.

Request lines up to gunicorn's maximum pass through to the app, whose own URL limit
(``server.limits.MAX_URL_LENGTH``, lower) answers with a problem document instead of gunicorn's HTML 414.
"""

limit_request_line = 8190  # gunicorn's maximum; keep above server.limits.MAX_URL_LENGTH + method and protocol
limit_request_fields = 100
limit_request_field_size = 8190


def post_worker_init(worker):
    """Once the worker has loaded the app, move everything loaded so far out of the garbage collector's sight.

    A report request makes some hundred thousand small objects (the national ranking scores every commune and cell),
    and each full collection then walks every object of the process, the app's modules and tables included: frozen,
    those are no longer walked (the collector's pauses took up to a fifth of the ranking's time)."""
    import gc

    gc.freeze()
