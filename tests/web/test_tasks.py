"""A panel member's tasks: what waits for their signature, the count on the navigation bar,
and the sign page's browser signing, which never takes the private key into a form."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from decide.models import (
    CosignSignature,
    LedgerCheckpoint,
    PanelMember,
    RoundManifest,
    SigningKey,
)
from decide.models.phase import Phase
from decide.services.signing import CHECKPOINT_TYPE, MANIFEST_TYPE
from decide.services.tasks import TaskKind, tasks_for
from tests.web.world import login, make_round, make_user

NOW = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)


def _key(session, rnd, user, n: int) -> SigningKey:
    key = SigningKey(round_id=rnd.id, user_id=user.id, role="panel", name=f"Member {n}",
                     public_key=f"{n:02x}" * 48, proof_of_possession="00" * 96)  # fmt: skip
    session.add(key)
    session.flush()
    return key


def _manifest(session, rnd, keys, digest: str = "d" * 64) -> RoundManifest:
    listed = {"keys": [{"public_key": k.public_key} for k in keys], "type": "decide-keys/v1"}
    row = RoundManifest(round_id=rnd.id, digest=digest, manifest_json=b"{}", ballots_pb=b"",
                        keys_json=json.dumps(listed).encode(), created_at=NOW)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _checkpoint(session, rnd, digest: str, count: int = 2, *, signed: bool = False):
    cp = LedgerCheckpoint(
        round_id=rnd.id,
        count=count,
        head="0" * 64,
        manifest_digest="d" * 64,
        digest=digest,
        created_at=NOW,
        signed_at=NOW if signed else None,
    )
    session.add(cp)
    session.flush()
    return cp


def _sign(session, rnd, key, document_type: str, digest: str) -> None:
    session.add(CosignSignature(round_id=rnd.id, key_id=key.id, document_type=document_type,
                                digest=digest, signature="00" * 96))  # fmt: skip
    session.flush()


@pytest.fixture
def closed(world):
    """A closed round with a written manifest listing the panel member's and another's keys."""
    s = world.session
    rnd = make_round(s, "Closed round", "closed", signature_threshold=2)
    other = make_user(s, "other-panel@test.example", "Olu Other")
    s.add_all([PanelMember(round=rnd, user=world.users["panel_member"]),
               PanelMember(round=rnd, user=other)])  # fmt: skip
    mine, theirs = _key(s, rnd, world.users["panel_member"], 1), _key(s, rnd, other, 2)
    _manifest(s, rnd, [mine, theirs])
    s.commit()
    return rnd, mine, theirs


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _nav(html: str) -> str:
    return _text(html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0])


def _links(html: str, section: str) -> list[tuple[str, str]]:
    """Return (text, href) of the links in one section of the tasks page."""
    part = html.split(f'id="tasks-{section}"', 1)[1].split("</section>", 1)[0]
    return [(_text(t), h) for h, t in re.findall(r'<a href="([^"]+)">(.*?)</a>', part)]


def _tag(html: str, pattern: str) -> str:
    found = re.search(r"<[a-z]+[^>]*" + pattern + r"[^>]*>", html)
    assert found, pattern
    return found.group(0)


def test_a_manifest_waits_for_the_members_signature_until_they_sign(app, world, closed):
    rnd, mine, _ = closed
    client = login(app.test_client(), world.users["panel_member"])
    page = client.get("/tasks")
    assert page.status_code == 200
    assert _links(page.text, "manifests") == [
        ("Sign the results manifest of Closed round", f"/rounds/{rnd.id}/publication/sign")
    ]
    assert "One thing waits for you." in page.text
    # The count is on every page's navigation bar, with words for screen readers.
    assert "Your tasks 1 (1 waiting)" in _nav(client.get("/").text)
    assert 'href="/tasks" aria-current="page"' in page.text

    _sign(world.session, rnd, mine, MANIFEST_TYPE, "d" * 64)
    world.session.commit()
    page = client.get("/tasks")
    assert "Nothing waits for you just now." in page.text
    assert "No manifest waits for your signature." in page.text
    assert re.search(r"Your tasks\s*</a>", page.text), "no count badge when nothing waits"


def test_only_a_closed_rounds_manifest_and_only_the_manifests_keys(app, world, closed):
    rnd, _mine, theirs = closed
    member = world.users["panel_member"]
    assert [t.kind for g in tasks_for(world.session, member) for t in g.tasks] == [
        TaskKind.SIGN_MANIFEST
    ]
    rnd.phase = Phase.PUBLISHED
    world.session.commit()
    assert not [t for g in tasks_for(world.session, member) for t in g.tasks]
    # A key registered after the manifest was written is not one of its keys: nothing to sign.
    s = world.session
    later = make_round(s, "Later round", "closed")
    key = _key(s, later, member, 3)
    _manifest(s, later, [theirs])
    s.commit()
    assert key.round_id == later.id
    assert not [t for g in tasks_for(s, member) for t in g.tasks]


def test_checkpoints_wait_until_signed_by_the_member_or_complete(app, world, closed):
    rnd, mine, theirs = closed
    s = world.session
    rnd.phase = Phase.DELIVERY
    waiting = _checkpoint(s, rnd, "a" * 64)
    _checkpoint(s, rnd, "b" * 64, 1, signed=True)
    signed_by_me = _checkpoint(s, rnd, "c" * 64, 4)
    _sign(s, rnd, mine, CHECKPOINT_TYPE, signed_by_me.digest)
    _sign(s, rnd, theirs, CHECKPOINT_TYPE, waiting.digest)
    s.commit()
    client = login(app.test_client(), world.users["panel_member"])
    assert _links(client.get("/tasks").text, "checkpoints") == [
        (
            "Sign the ledger checkpoint of 2 payments in Closed round",
            f"/rounds/{rnd.id}/ledger/checkpoints/{waiting.id}/sign",
        )
    ]


def test_people_without_a_panel_seat_or_key_see_no_tasks_link(app, world, closed):
    client = login(app.test_client(), world.users["citizen"])
    assert "Your tasks" not in _nav(client.get("/").text)
    page = client.get("/tasks")
    assert "Nothing waits for you just now." in page.text
    assert "Closed round" not in page.text
    # The other member of the closed round's panel has its manifest to sign.
    _, _, theirs = closed
    other = login(
        app.test_client(), world.session.get(type(world.users["citizen"]), theirs.user_id)
    )
    assert "Your tasks 1 (1 waiting)" in _nav(other.get("/").text)


def test_the_sign_page_signs_in_the_browser_without_sending_the_key(app, world, closed):
    rnd, mine, _ = closed
    client = login(app.test_client(), world.users["panel_member"])
    page = client.get(f"/rounds/{rnd.id}/publication/sign")
    assert page.status_code == 200
    html = page.text
    box = _tag(html, 'id="browser-sign"')
    assert " hidden" in box, "shown only when the script runs"
    assert f'data-digest="{"d" * 64}"' in box and f'data-document-type="{MANIFEST_TYPE}"' in box
    assert f'data-public-key="{mine.public_key}"' in box
    # The key file input has no name and sits in no form: the browser cannot submit the key.
    assert "name=" not in _tag(html, 'id="browser-key-file"')
    forms = re.findall(r"<form\b.*?</form>", html, flags=re.S)
    assert not [f for f in forms if "browser-key-file" in f]
    (form,) = [f for f in forms if 'id="browser-sign-form"' in f]
    assert sorted(re.findall(r'name="([^"]+)"', form)) == ["csrf_token", "signature_json"]
    assert f'action="/rounds/{rnd.id}/publication/sign"' in form
    assert re.search(r'<script type="module" src="/static/js/sign-page.js">', html)
    noscript = _text(html.split("<noscript>", 1)[1].split("</noscript>", 1)[0])
    assert "needs JavaScript" in noscript and "decide-keys" in noscript
    # The page's policy lets the module script and its imports load from this site only.
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/static/js/sign-page.js").mimetype == "text/javascript"


def test_the_checkpoint_sign_page_signs_the_checkpoint_type(app, world, closed):
    rnd, _, _ = closed
    cp = _checkpoint(world.session, rnd, "e" * 64)
    world.session.commit()
    client = login(app.test_client(), world.users["panel_member"])
    page = client.get(f"/rounds/{rnd.id}/ledger/checkpoints/{cp.id}/sign")
    box = _tag(page.text, 'id="browser-sign"')
    assert f'data-document-type="{CHECKPOINT_TYPE}"' in box and f'data-digest="{"e" * 64}"' in box
    assert f'data-document-url="/rounds/{rnd.id}/ledger/checkpoints/{cp.id}.json"' in box
