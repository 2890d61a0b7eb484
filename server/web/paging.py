"""Pages that list many rows show one page at a time with a "next page" link carrying the same opaque cursor as
the API (``server.cursors``): ``after`` in the query string, kept with the page's other filters. A cursor the server
did not make is the same 422 as in the API, shown as an error page in the reader's language."""

from dataclasses import dataclass

from flask import request, url_for

from server import cursors
from server.extensions import db

PAGE_SIZE = 100


@dataclass
class Page:
    """The rows of one page, and the links to the next page (None on the last) and back to the first."""

    rows: list
    next_url: str | None
    first_url: str | None


def keyset_rows(query, keys, shape, *, descending=False, size: int | None = None, entity=None) -> Page:
    """One page of ``query`` in the order of the columns ``keys`` (together unique), after the request's ``after``.

    ``size`` rows a page (``PAGE_SIZE`` unless given). ``entity`` picks from a result row the object whose
    attributes name the keys; without it ``query`` selects one entity and the page holds those."""
    size = size or PAGE_SIZE
    after = request.args.get("after") or None
    ordered = cursors.keyset(query, keys, shape, after, descending).limit(size + 1)
    rows = list(db.session.execute(ordered).all() if entity else db.session.scalars(ordered))
    more = len(rows) > size
    rows = rows[:size]
    next_url = first_url = None
    if more and rows:
        last = entity(rows[-1]) if entity else rows[-1]
        next_url = _url(after=cursors.cursor_of(last, keys, shape))
    if after is not None:
        first_url = _url(after=None)
    return Page(rows, next_url, first_url)


def _url(after: str | None) -> str:
    args = {name: values for name, values in request.args.to_dict(flat=False).items() if name != "after"}
    if after is not None:
        args["after"] = after
    return url_for(request.endpoint, **(request.view_args or {}), **args)
