"""Access rules for the pages about the site: about, privacy, accessibility, the favicon."""

from __future__ import annotations

from decide.web.main import THREATS_FILE
from tests.web.access import PUBLIC, ROLES, Access

# The threat model page shows docs/THREATS.md, which another piece of work adds; until the file
# exists the page is a 404 for everyone (and the privacy notice does not link to it).
SECRECY = PUBLIC if THREATS_FILE.is_file() else dict.fromkeys(ROLES, "HTTP 404")

RULES = [
    Access("main.about", "GET", lambda w: "/about", PUBLIC),
    Access("main.privacy", "GET", lambda w: "/privacy", PUBLIC),
    Access("main.ballot_secrecy", "GET", lambda w: "/privacy/ballot-secrecy", SECRECY),
    Access("main.accessibility", "GET", lambda w: "/accessibility", PUBLIC),
    Access("main.favicon", "GET", lambda w: "/favicon.ico", PUBLIC),
]
