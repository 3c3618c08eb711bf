"""Unit key files: what the portal and triage read, and how bad files are refused."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from tipline import keys


def test_saved_pair_loads_back(tmp_path) -> None:
    key = keys.generate()
    keys.save(key, tmp_path / "pub", tmp_path / "priv")
    assert keys.newest_public_key(tmp_path / "pub") == key.public
    ring = keys.load_private_keys(tmp_path / "priv")
    assert list(ring) == [key.key_id]
    mode = stat.S_IMODE((tmp_path / "priv" / f"{key.key_id}.key").stat().st_mode)
    assert mode == 0o600


def test_public_folder_holds_no_private_key(tmp_path) -> None:
    key = keys.generate()
    keys.save(key, tmp_path / "pub", tmp_path / "priv")
    data = json.loads((tmp_path / "pub" / f"{key.key_id}.pub").read_text())
    assert "private" not in data


def test_refuses_to_overwrite(tmp_path) -> None:
    key = keys.generate()
    keys.save(key, tmp_path / "pub", tmp_path / "priv")
    with pytest.raises(FileExistsError):
        keys.save(key, tmp_path / "pub", tmp_path / "priv")


def test_no_public_key_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(keys.NoPublicKey, match="tipline keys generate"):
        keys.newest_public_key(tmp_path / "empty")


def test_mismatched_private_key_is_refused(tmp_path) -> None:
    a, b = keys.generate(), keys.generate()
    keys.save(a, tmp_path / "pub", tmp_path / "priv")
    path = tmp_path / "priv" / f"{a.key_id}.key"
    data = json.loads(path.read_text())
    data["private"] = base64.b64encode(b.raw).decode()
    path.write_text(json.dumps(data))
    with pytest.raises(keys.KeyFileInvalid, match="does not match"):
        keys.load_private_keys(tmp_path / "priv")


def test_edited_key_id_is_refused(tmp_path) -> None:
    key = keys.generate()
    keys.save(key, tmp_path / "pub", tmp_path / "priv")
    path = tmp_path / "pub" / f"{key.key_id}.pub"
    data = json.loads(path.read_text())
    data["key_id"] = "mlkem768-x25519-0000000000000000"
    path.write_text(json.dumps(data))
    with pytest.raises(keys.KeyFileInvalid, match="key id does not match"):
        keys.load_public_keys(tmp_path / "pub")


def test_garbage_file_is_refused(tmp_path) -> None:
    (tmp_path / "x.pub").write_text("{not json")
    with pytest.raises(keys.KeyFileInvalid):
        keys.load_public_keys(tmp_path)
