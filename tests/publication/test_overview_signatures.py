"""The publication page tells each panel member whether *they* have signed, not whether anyone
has; and before publication the signature file is only offered to those who may read it."""

from __future__ import annotations

from tests.publication.conftest import login, ready_to_publish


def test_a_member_who_has_not_signed_is_asked_to_sign_after_another_has(
    app, db, closed, panel_keys
):
    ready_to_publish(db.session, closed, panel_keys, signers=1)  # Ada signs; Bo has not
    url = f"/rounds/{closed.round.id}/publication"
    bo = login(app.test_client(), closed.members[1]).get(url).get_data(as_text=True)
    assert "Signed by 1 of the 2 registered panel keys; 2 needed to publish." in bo
    assert "Sign the manifest" in bo and "You have signed this manifest" not in bo
    ada = login(app.test_client(), closed.members[0]).get(url).get_data(as_text=True)
    assert "You have signed this manifest" in ada and ">Sign the manifest<" not in ada
    assert "signatures.json" in ada
    # A resident sees the count, but neither file, until the results are published.
    resident = login(app.test_client(), closed.citizen).get(url).get_data(as_text=True)
    assert "Signed by 1 of the 2" in resident
    assert "signatures.json" not in resident and "manifest.json" not in resident
    assert "only the facilitators and the panel can read it" in resident
