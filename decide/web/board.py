"""The public bulletin board, the server's key, receipt checks, and pabulib import/export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from audits.chain import tracker_code
from decide.extensions import db
from decide.services import ballot_box, pb_io
from decide.services import board as board_service
from decide.services.permissions import can_manage_rounds
from decide.services.proposals import proposal_ids_by_code
from decide.services.rounds import MAX_COUNT
from decide.services.sanitise import whole_number
from decide.web.access import public_round, receipt_key, require

bp = Blueprint("board", __name__)

MAX_RECEIPT_BYTES = 16 * 1024


@bp.get("/rounds/<int:round_id>/board")
def board(round_id: int) -> str:
    """Show the sealed box while voting is open; after close, the commitment board."""
    rnd = public_round(round_id)
    page_no = whole_number(request.args.get("page", "1"), maximum=MAX_COUNT) or 1
    view = ballot_box.board_page(db.session, rnd, page_no)
    return render_template(
        "board/board.html",
        rnd=rnd,
        view=view,
        codes={row.position: tracker_code(bytes(row.tracker)) for row in view.rows},
        can_export=view.show_choices,
        titles=board_service.project_titles(db.session, rnd.id) if view.show_choices else {},
        proposal_ids=proposal_ids_by_code(db.session, rnd.id) if view.show_choices else {},
    )


@bp.get("/board/key")
def key() -> str:
    """Publish the server's receipt-signing public key."""
    return render_template("board/key.html", key=board_service.published_key(receipt_key()))


@bp.get("/board/key.txt")
def key_text() -> Response:
    """Return the public key as 64 hex characters, for scripts."""
    return Response(receipt_key().public_key_hex + "\n", mimetype="text/plain")


@bp.route("/receipts/check", methods=["GET", "POST"])
def check() -> Any:
    """Check a pasted or uploaded receipt: is it signed by us, and is the ballot on the board?"""
    result = None
    text = ""
    if request.method == "POST":
        upload = request.files.get("receipt_file")
        if upload is not None and upload.filename:
            data = upload.read(MAX_RECEIPT_BYTES + 1)
            text = data.decode("utf-8", errors="replace")
        else:
            text = request.form.get("receipt", "")
        if not text.strip():
            flash("Paste your receipt or choose the receipt file.", "error")
            return render_template("board/check.html", result=None, text=""), 422
        if len(text) > MAX_RECEIPT_BYTES:
            text = text[:MAX_RECEIPT_BYTES]
        round_id = whole_number(request.form.get("round_id", ""), maximum=MAX_COUNT)
        result = ballot_box.check_receipt(db.session, text, receipt_key(), round_id)
    status = 200 if result is None or (result.signature_valid and result.on_board) else 422
    return render_template("board/check.html", result=result, text=text), status


@bp.get("/rounds/<int:round_id>/ballots.pb")
def export(round_id: int) -> Any:
    """Download the round's anonymised ballots as a pabulib file (after close)."""
    rnd = public_round(round_id)
    try:
        text = pb_io.export_pb(db.session, rnd.id)
    except pb_io.ExportRefused as exc:
        return render_template("error.html", code=403, title="Not yet", message=str(exc)), 403
    return Response(
        text,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="round-{rnd.id}.pb"'},
    )


@bp.route("/rounds/import-pb", methods=["GET", "POST"])
def import_pb() -> Any:
    """Facilitators: create a closed round from a pabulib .pb file."""
    require(can_manage_rounds(current_user))
    error = None
    if request.method == "POST":
        upload = request.files.get("pb_file")
        if upload is None or not upload.filename:
            error = "Choose a .pb file to import."
        else:
            try:
                text = upload.read().decode("utf-8-sig")
                rnd = pb_io.import_pb(
                    db.session,
                    text,
                    title=request.form.get("title", "").strip() or None,
                    today=dt.datetime.now(dt.UTC).date(),
                )
            except UnicodeDecodeError:
                error = "The file is not UTF-8 text. Nothing was imported."
            except pb_io.PbImportError as exc:
                error = f"{str(exc).rstrip('.')}. Nothing was imported."
            else:
                flash(f"Imported “{rnd.title}” as a closed round.", "success")
                return redirect(url_for("board.board", round_id=rnd.id), 303)
    return render_template("board/import.html", error=error), 422 if error else 200
