"""Hostile input never gives a 500: Hypothesis posts random values to every form route.

The routes and their URLs come from the permission test's rules (tests/web/access/), so a new
route is fuzzed as soon as it has a rule. A route's fields come from the forms that the app's
own pages point at it (every GET rule's page, read anonymously, as a facilitator and as a
citizen), with the values those pages show; from the rule's data; and from the working posts
of test_optional_fields.py. Most examples spoil one to three fields of the working post, so
they reach the services; the rest make every field up. A field may be left out, empty, or
hostile: NUL and other control characters, non-ASCII text and digits, integers past 32 and 64
bits, a 5,000-digit number, overlong text, impossible dates; an upload may be random bytes or
the working file with hostile text spliced in. Each example posts as one role (mostly one
that gets past the permission check), with CSRF off (the test config) and rate limits off.
Before the random examples, every field of every route is also tried with each SWEEP value
(the kinds of input that gave 500s before), one field at a time in the working post.

The test app re-raises a view's exception (TESTING), so a crash fails here with its traceback
and Hypothesis shrinks it to the smallest post. The run is bounded and repeatable: set
DECIDE_FUZZ_EXAMPLES to search more (with fresh random examples) on your machine.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.web.access import FORBIDDEN, LOGIN, ROLES, Access, all_rules
from tests.web.test_optional_fields import valid_posts
from tests.web.world import login

EXAMPLES_PER_ROUTE = int(os.environ.get("DECIDE_FUZZ_EXAMPLES", "10"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_ROUTE,
    deadline=None,
    derandomize="DECIDE_FUZZ_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=list(HealthCheck),
)
RULES = [r for r in all_rules() if r.method != "GET"]

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 3 + "x",
    "line\r\nbreak",
    "\x1b[31m\x07",
    "é",
    "Łódź ☃ 🎉",
    "\u202etxet",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    str(2**31 - 1),
    str(2**31),
    str(-(2**31) - 1),
    str(2**63),
    str(2**64),
    "9" * 5000,
    "²",
    "١٢",
    "x" * 121,
    "y" * 10_001,
    "2027-02-30",
    "0001-01-01",
    "9999-12-31",
    "£-5",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x9F), max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@st.composite
def _spliced(draw: Any, valid: bytes) -> bytes:
    """Return `valid` with a few of its bytes replaced by hostile text."""
    start = draw(st.integers(0, len(valid)))
    end = draw(st.integers(start, min(len(valid), start + 12)))
    return valid[:start] + draw(hostile_text).encode("utf-8", "replace") + valid[end:]


def hostile_bytes(valid: bytes | None) -> st.SearchStrategy[bytes]:
    """Return uploads: random bytes, hostile text, or the valid file with hostile text in it."""
    choices = [st.binary(max_size=200), hostile_text.map(lambda t: t.encode("utf-8", "replace"))]
    if valid:
        choices += [st.just(valid), _spliced(valid)]
    return st.one_of(choices)


class _FormFields(HTMLParser):
    """Collect, per form action path, its fields: name -> (is a file input, values shown)."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.forms: dict[str, dict[str, tuple[bool, list[str]]]] = {}
        self._form: dict[str, tuple[bool, list[str]]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def _add(self, name: str | None, is_file: bool = False, value: str | None = None) -> None:
        if self._form is None or not name or name == "csrf_token":
            return
        was_file, values = self._form.get(name, (False, []))
        self._form[name] = (was_file or is_file, [*values, *([value] if value else [])])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        kind = (a.get("type") or "text").lower()
        if tag == "form":
            post = (a.get("method") or "get").lower() == "post"
            path = urlsplit(a.get("action") or self.page_path).path or self.page_path
            self._form = self.forms.setdefault(path, {}) if post else None
        elif tag == "input" and kind in ("checkbox", "radio"):
            self._add(a.get("name"), value=(a.get("value") or "on") if "checked" in a else None)
        elif tag == "input" and kind not in ("submit", "button", "reset", "image"):
            self._add(a.get("name"), kind == "file", a.get("value"))
        elif tag == "select":
            self._select = a.get("name")
            self._add(self._select)
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, value=a.get("value"))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._add(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea and data.strip():
            self._add(self._textarea, value=data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass(frozen=True)
class Upload:
    """A file to post; a fresh stream is made for every request."""

    content: bytes


@dataclass
class Target:
    """One POST route to fuzz: its URL, who may post, its fields and a post that works."""

    rule: Access
    url: str
    files: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    baseline: dict[str, Any] = field(default_factory=dict)

    @property
    def roles(self) -> list[str]:
        """Return the roles that get past the permission check, else every role."""
        return [r for r in ROLES if self.rule.expect[r] not in (FORBIDDEN, LOGIN)] or list(ROLES)


def _plain(value: Any) -> Any:
    """Return a post value with any file read into an Upload (streams are used up once)."""
    if isinstance(value, tuple) and hasattr(value[0], "read"):
        stream = value[0]
        stream.seek(0)
        content = stream.read()
        stream.seek(0)
        return Upload(content)
    return value


def _read_forms(app: Any, world: Any, url: str, role: str, into: dict[str, Any]) -> None:
    response = login(app.test_client(), world.user(role)).get(url)
    if response.status_code != 200 or "html" not in response.content_type:
        return
    parser = _FormFields(urlsplit(url).path)
    parser.feed(response.get_data(as_text=True))
    for path, fields in parser.forms.items():
        merged = into.setdefault(path, {})
        for name, (is_file, values) in fields.items():
            was_file, seen = merged.get(name, (False, []))
            merged[name] = (was_file or is_file, seen or values)


def _targets(app: Any, world: Any) -> list[Target]:
    """Build every rule's rows, read the app's pages for the forms, and make the targets."""
    targets = [Target(r, r.url(world), baseline=dict(r.data(world))) for r in RULES]
    forms: dict[str, dict[str, tuple[bool, list[str]]]] = {}
    for rule in all_rules():
        if rule.method == "GET":
            for role in ("anonymous", "facilitator", "citizen"):
                _read_forms(app, world, rule.url(world), role, forms)
    valid = valid_posts(world)
    for target in targets:
        path = urlsplit(target.url).path
        if path not in forms:  # a page only some roles see, such as a proposal's edit page
            _read_forms(app, world, target.url, target.roles[0], forms)
        page = forms.get(path, {})
        shown = {n: (v if len(v) > 1 else v[0]) for n, (_, v) in page.items() if v}
        posted = valid[target.rule.endpoint]() if target.rule.endpoint in valid else {}
        target.baseline = {k: _plain(v) for k, v in {**shown, **target.baseline, **posted}.items()}
        target.files = {n for n, (is_file, _) in page.items() if is_file}
        target.files |= {n for n, v in target.baseline.items() if isinstance(v, Upload)}
        target.names = set(page) | set(target.baseline)
    return targets


def _value(target: Target, name: str) -> st.SearchStrategy[Any]:
    """Return what one field may become: left out, empty, hostile, or several values."""
    if name in target.files:
        kept = target.baseline.get(name)
        valid = kept.content if isinstance(kept, Upload) else None
        return st.one_of(st.none(), hostile_bytes(valid).map(Upload))
    return st.one_of(
        st.none(), st.sampled_from(HOSTILE), hostile_text, st.lists(hostile_text, max_size=3)
    )


@st.composite
def _post(draw: Any, target: Target) -> tuple[str, dict[str, Any]]:
    """Return (role, form data): mostly the working post with a few fields spoiled."""
    role = draw(st.one_of(st.sampled_from(target.roles), st.sampled_from(ROLES)))
    names = sorted(target.names)
    if target.baseline and draw(st.integers(0, 3)) > 0:
        data = dict(target.baseline)
        spoiled = (
            draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
            if names
            else []
        )
    else:
        data, spoiled = {}, names
    for name in spoiled:
        data[name] = draw(_value(target, name))
    return role, data


def _request_data(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, Upload):
            out[name] = (io.BytesIO(value.content), f"{name}.txt")
        elif value is not None:
            out[name] = value
    return out


# Every field of every route also gets each of these, in an otherwise working post: the values
# that broke the app before (issue 11, defect 12), tried on each field rather than by chance.
SWEEP = ("\x00", str(2**31), "9" * 5000, "²", "x" * 10_001)


def _sweep(target: Target) -> list[tuple[str, dict[str, Any]]]:
    """Return the explicit examples: each field spoiled with each SWEEP value, one at a time."""
    role = target.roles[0]
    posts = []
    for name in sorted(target.names):
        files = [Upload(b"\x00"), Upload(b"9" * 5000)]
        spoiled = files if name in target.files else list(SWEEP)
        posts += [(role, {**target.baseline, name: value}) for value in spoiled]
    return posts


def _fuzz(app: Any, world: Any, target: Target) -> None:
    """Post the sweep and FUZZ_SETTINGS.max_examples random forms to one route: no 500."""

    def post_is_handled(post: tuple[str, dict[str, Any]]) -> None:
        role, data = post
        client = login(app.test_client(), world.user(role))
        response = client.open(target.url, method=target.rule.method, data=_request_data(data))
        assert response.status_code < 500, (
            f"{target.rule.method} {target.url} as {role} gave {response.status_code}"
        )

    test = given(post=_post(target))(post_is_handled)
    for post in _sweep(target):
        test = example(post=post)(test)
    FUZZ_SETTINGS(test)()


@pytest.mark.slow
def test_no_form_route_gives_a_500(app, world):
    targets = _targets(app, world)
    by_endpoint = {t.rule.endpoint: t for t in targets}
    assert {"rounds.create", "board.import_pb", "ledger.pay"} <= set(by_endpoint)
    assert "min_budget_share_percent" in by_endpoint["rounds.create"].names
    assert isinstance(by_endpoint["board.import_pb"].baseline["pb_file"], Upload)
    for target in targets:
        _fuzz(app, world, target)
