"""Crash-safe training states: sealing, verification, fallback, pruning, cleanup."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch

from esrgan_core.training.state_store import MANIFEST, StateStore, read_manifest, sha256_file, verify_state


def tensor_writer(value: float, size: int = 1000):
    def write(folder: Path) -> None:
        torch.save({"w": torch.full((size,), value)}, folder / "model.pt")
        (folder / "sub").mkdir()
        (folder / "sub" / "rng.bin").write_bytes(bytes(range(256)) * 4)

    return write


def load_value(state: Path) -> float:
    return float(torch.load(state / "model.pt", weights_only=True)["w"][0])


def test_save_seals_folder_with_manifest_of_every_file(tmp_path):
    store = StateStore(tmp_path)
    final = store.save(1000, tensor_writer(1.0), meta={"epoch": 3})
    assert final == tmp_path / "state" / "00001000"
    manifest = read_manifest(final)
    assert manifest["complete"] is True and manifest["iteration"] == 1000 and manifest["meta"] == {"epoch": 3}
    assert set(manifest["files"]) == {"model.pt", "sub/rng.bin"}
    for rel, info in manifest["files"].items():
        assert info["size"] == (final / rel).stat().st_size
        assert info["sha256"] == sha256_file(final / rel)
    assert store.latest() == final
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["00001000"]  # no temporary left


def test_writer_failing_halfway_leaves_previous_state_as_latest(tmp_path):
    store = StateStore(tmp_path)
    good = store.save(1000, tensor_writer(1.0))

    def dies_halfway(folder: Path) -> None:
        (folder / "model.pt").write_bytes(b"\0" * 100)
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed mid-write"):
        store.save(2000, dies_halfway)
    assert store.latest() == good
    assert not store.path_for(2000).exists()
    assert load_value(store.latest()) == 1.0


def test_truncated_file_after_manifest_falls_back_with_warning(tmp_path, caplog):
    store = StateStore(tmp_path)
    good = store.save(1000, tensor_writer(1.0))
    bad = store.save(2000, tensor_writer(2.0))
    model = bad / "model.pt"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])  # torn write under the final name
    with caplog.at_level(logging.WARNING):
        assert store.latest() == good
    assert "00002000" in caplog.text and "model.pt" in caplog.text and "bytes" in caplog.text


def test_same_size_corruption_is_caught_by_hash_only(tmp_path, caplog):
    store = StateStore(tmp_path)
    good = store.save(1000, tensor_writer(1.0))
    bad = store.save(2000, tensor_writer(2.0))
    blob = bytearray((bad / "sub" / "rng.bin").read_bytes())
    blob[10] ^= 0xFF
    (bad / "sub" / "rng.bin").write_bytes(bytes(blob))
    with caplog.at_level(logging.WARNING):
        assert store.latest() == good
    assert "sha256" in caplog.text and "00002000" in caplog.text
    assert StateStore(tmp_path, verify_hashes=False).latest() == bad  # sizes alone cannot see it


@pytest.mark.parametrize("damage", ["no_manifest", "incomplete", "garbage", "wrong_iter", "missing_file"])
def test_damaged_manifest_variants_are_skipped(tmp_path, damage, caplog):
    store = StateStore(tmp_path)
    good = store.save(1000, tensor_writer(1.0))
    bad = store.save(2000, tensor_writer(2.0))
    manifest = json.loads((bad / MANIFEST).read_text())
    if damage == "no_manifest":
        (bad / MANIFEST).unlink()
    elif damage == "incomplete":
        manifest["complete"] = False
        (bad / MANIFEST).write_text(json.dumps(manifest))
    elif damage == "garbage":
        (bad / MANIFEST).write_text('{"files": {"model.pt": ')
    elif damage == "wrong_iter":
        manifest["iteration"] = 3000
        (bad / MANIFEST).write_text(json.dumps(manifest))
    else:
        (bad / "model.pt").unlink()
    assert verify_state(bad) is not None
    with caplog.at_level(logging.WARNING):
        assert store.latest() == good
    assert "00002000" in caplog.text


def test_no_state_or_all_damaged_gives_none(tmp_path):
    store = StateStore(tmp_path)
    assert store.latest() is None
    bad = store.save(5, tensor_writer(1.0))
    (bad / MANIFEST).unlink()
    assert store.latest() is None


def test_keep_k_prunes_oldest_complete_states(tmp_path):
    store = StateStore(tmp_path, keep=2)
    for it in (100, 200, 300, 400):
        store.save(it, tensor_writer(float(it), size=10))
    assert [it for it, _ in store.states()] == [300, 400]
    assert load_value(store.latest()) == 400.0
    keep_all = StateStore(tmp_path / "all", keep=None)
    for it in (1, 2, 3, 4, 5):
        keep_all.save(it, tensor_writer(float(it), size=10))
    assert len(keep_all.states()) == 5
    with pytest.raises(ValueError):
        StateStore(tmp_path, keep=0)


def test_leftover_tmp_folders_are_removed_on_open(tmp_path):
    state_dir = tmp_path / "state"
    (state_dir / ".tmp-00000300-abcd").mkdir(parents=True)
    (state_dir / ".tmp-00000300-abcd" / "model.pt").write_bytes(b"partial")
    (state_dir / ".tmp-model-x.pt").write_bytes(b"partial single file")
    StateStore(tmp_path, clean=False)  # an inspecting reader leaves a live save alone
    assert (state_dir / ".tmp-00000300-abcd" / "model.pt").is_file()
    store = StateStore(tmp_path)
    assert not any(p.name.startswith(".tmp-") for p in state_dir.iterdir())
    assert store.latest() is None


def test_resaving_same_iteration_replaces_it_and_newer_states_are_dropped(tmp_path, caplog):
    store = StateStore(tmp_path, keep=5)
    store.save(100, tensor_writer(1.0, size=10))
    store.save(200, tensor_writer(2.0, size=10))
    bad = store.save(300, tensor_writer(3.0, size=10))
    (bad / "model.pt").write_bytes(b"")  # damaged: a resumed run continues from 200
    assert load_value(store.latest()) == 2.0
    with caplog.at_level(logging.WARNING):
        store.save(200, tensor_writer(20.0, size=10))  # same iteration saved again
        store.save(250, tensor_writer(25.0, size=10))
    assert [it for it, _ in store.states()] == [100, 200, 250]
    assert load_value(store.path_for(200)) == 20.0
    assert load_value(store.latest()) == 25.0
    assert "00000300" in caplog.text


def test_begin_commit_with_shared_token_for_multi_process_writers(tmp_path):
    store = StateStore(tmp_path)
    tmp_a = store.begin(700, token="run1")
    tmp_b = store.begin(700, token="run1")  # a second process gets the same folder
    assert tmp_a == tmp_b == tmp_path / "state" / ".tmp-00000700-run1"
    (tmp_a / "rank0.pt").write_bytes(b"a")
    (tmp_b / "rank1.pt").write_bytes(b"bb")
    final = store.commit(700, tmp_a)
    assert set(read_manifest(final)["files"]) == {"rank0.pt", "rank1.pt"}
    assert store.latest() == final and not tmp_a.exists()
