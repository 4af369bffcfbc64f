"""The import page: a policy officer uploads a register workbook with their token, sees the dry-run
report (every problem with sheet, row and column, or what would be imported), then imports it.

The upload waits between the two steps in a private temporary folder, named by its SHA-256, for an
hour at most; the import step names it by that digest, so what is imported is exactly what was
checked."""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import tempfile
import time
from pathlib import Path

from flask import Blueprint, current_app, make_response, render_template, request
from werkzeug.utils import secure_filename

from ..auth import TokenStore
from ..ingest.spreadsheet import WORKBOOK_SUFFIXES, RegisterError, import_register, write_template
from . import get_store

bp = Blueprint("upload", __name__)

KEEP_SECONDS = 3600
"""How long an upload waits for its import step."""


def _folder() -> Path:
    folder = current_app.extensions.get("partnerkg.uploads")
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="partnerkg-uploads-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)  # uploads waiting go with the process
        current_app.extensions["partnerkg.uploads"] = folder
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def _page(status: int = 200, **context):
    response = make_response(render_template("import.html", **context), status)
    response.headers["Cache-Control"] = "no-store"  # the page may carry the token back in its form
    return response


def _token() -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    return request.form.get("token", "").strip()


@bp.get("/import")
def form():
    """The upload form."""
    return _page()


@bp.get("/import/template.xlsx")
def template():
    """The empty register workbook, as `partnerkg template` writes it."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "template.xlsx"
        write_template(target)
        content = target.read_bytes()
    response = make_response(content)
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = 'attachment; filename="partnerkg-register-template.xlsx"'
    return response


@bp.post("/import")
def submit():
    """Check an uploaded workbook (a dry run), or import one checked before."""
    token = _token()
    if not token:
        return _page(401, error="Importing needs a token (partnerkg token create).")
    if TokenStore(current_app.config["PARTNERKG"].tokens).verify(token) is None:
        return _page(403, error="The token is not valid.")
    settings = current_app.config["PARTNERKG"]
    base = settings.base_iri
    if request.form.get("action") == "import":
        digest = request.form.get("upload", "")
        found = list((_folder() / digest).glob("*")) if re.fullmatch(r"[0-9a-f]{64}", digest) else []
        if not found:
            return _page(400, error="That upload is no longer here (uploads wait an hour): upload it again.")
        try:
            report = import_register(get_store(), found[0], base=base, internal=settings.is_internal)
        except RegisterError as exc:  # the store changed in between (a referenced row went)
            return _page(400, problems=exc.problems, filename=found[0].name)
        shutil.rmtree(found[0].parent, ignore_errors=True)
        return _page(report=report, filename=found[0].name)
    upload = request.files.get("workbook")
    if upload is None or not upload.filename:
        return _page(400, error="Choose a workbook (.xlsx) to upload.", token=token)
    name = secure_filename(upload.filename) or "register.xlsx"
    if not name.lower().endswith(WORKBOOK_SUFFIXES):
        return _page(400, error=f"{upload.filename}: not a workbook; upload an .xlsx file.", token=token)
    content = upload.read()
    digest = hashlib.sha256(content).hexdigest()
    target = _folder() / digest / name
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(content)
    try:
        report = import_register(get_store(), target, base=base, dry_run=True)
    except RegisterError as exc:
        shutil.rmtree(target.parent, ignore_errors=True)
        return _page(400, problems=exc.problems, filename=name, token=token)
    return _page(report=report, filename=name, upload=digest, token=token)
