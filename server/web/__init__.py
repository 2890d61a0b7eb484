"""Server-rendered pages (ticket queues; maps and reports add theirs), with a browser login session.

Pages accept the API's bearer token in the Authorization header, or a session cookie obtained by
pasting a token into the login form (phones and officers already hold tokens; no passwords are kept)."""
