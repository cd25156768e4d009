"""Staff page of the mail outbox: what is waiting, what failed and why, and a retry button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from booking.services import outbox
from booking.views.staff import staff_required

bp = Blueprint("staff_mail", __name__, url_prefix="/staff/mail")


@bp.get("")
@staff_required
def index() -> str:
    """Counts per status and every failed message with its last error."""
    return render_template("staff/mail.html", failed=outbox.failed_messages(), counts=outbox.outbox_counts(),
                           form=FlaskForm(formdata=None))


@bp.post("/<int:message_id>/retry")
@staff_required
def retry(message_id: int) -> Response:
    """Put one failed message back in the queue."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    if outbox.put_back(message_id):
        flash(_("The message is queued again."), "success")
    else:
        flash(_("This message is not failed any more."), "info")
    return redirect(url_for("staff_mail.index"))
