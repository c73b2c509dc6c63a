"""The verifier's source archive is reproducible and holds exactly the verifier's own files."""

from __future__ import annotations

import hashlib
import io
import tarfile

from audits.archive import PREFIX, source_archive, source_archive_sha256, source_files
from audits.verify import main


def test_archive_is_reproducible_and_holds_only_the_verifiers_files(tmp_path, capsys):
    data = source_archive()
    assert data == source_archive()
    assert hashlib.sha256(data).hexdigest() == source_archive_sha256()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == [f"{PREFIX}/{p}" for p in source_files()]
    assert names == sorted(names, key=lambda n: n.encode())
    assert f"{PREFIX}/audits/verify.py" in names
    assert f"{PREFIX}/audits/fonts/NotoSans-Regular.ttf" in names
    assert f"{PREFIX}/decide/allocation/mes.py" in names
    assert not any("/web/" in n or "/tests/" in n or n.endswith(".so") for n in names)
    assert all((m.mtime, m.uid, m.gid, m.uname, m.mode) == (0, 0, 0, "", 0o644) for m in members)
    assert len(data) % 10240 == 0

    out = tmp_path / "verifier.tar"
    assert main(["--source-archive", str(out)]) == 0
    assert out.read_bytes() == data
    assert capsys.readouterr().out.startswith(source_archive_sha256())
    assert main(["--source-listing"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == len(names)


def test_the_manifest_names_this_verifiers_archive(full):
    assert full.closing.manifest.verifier_archive_sha256 == source_archive_sha256()
