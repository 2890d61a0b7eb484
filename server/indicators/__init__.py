"""The indicators, each defined once, over one ``Area`` and ``Period`` (see ``areas``); no web framework here.
Maps shape what these functions return into cells and features; reports rank, plan and export it. The README's
"Indicators" section lists every definition; each function's docstring says it again.

- ``connectivity``: readings, dead-spot readings and share, fixed broadband, sites measured / without service /
  without fixed broadband / without power, per operator;
- ``equipment``: assets by latest condition, share working, oldest asset, repeat failures;
- ``tickets``: opened, resolved, resolved on time and on-time rate, open now, overdue now, escalations, median
  hours to resolve;
- ``assistance``: citizens helped (by service, team, week), language support;
- ``visits``: visits and the last visit, unvisited communes.
"""
