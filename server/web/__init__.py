"""Server-rendered pages (sign-in, accounts, people and teams, ticket queues; maps and reports add theirs).

People sign in with a username and password (a browser session, CSRF tokens on every form); pages also accept
the API's bearer token in the Authorization header, and the sign-in form still takes a pasted token."""
