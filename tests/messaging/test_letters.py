"""Letters: LetterChannel renders each message and FolderLetterService writes it once."""

from __future__ import annotations

import json
import pathlib

import pytest

from creditflow import Channel
from creditflow.adapters.letters import FolderLetterService, LetterChannel
from creditflow.errors import DeliveryError
from creditflow.ports import LetterService

from .conftest import outgoing


def test_folder_service_writes_letter_attachments_and_manifest(tmp_path: pathlib.Path) -> None:
    """The letter, its attachment and a JSON manifest with the address are written."""
    channel = LetterChannel(FolderLetterService(tmp_path))
    message = outgoing(Channel.LETTER, key="acme/2026-0042/s@1/3/message/0#letter")
    stem = channel.send(message)
    assert stem is not None
    assert stem.startswith("2026-0042-")
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted([f"{stem}.txt", f"{stem}-1-invoice-2026-0042.pdf", f"{stem}.json"])
    manifest = json.loads((tmp_path / f"{stem}.json").read_text(encoding="utf-8"))
    assert manifest["address"] == ["Jan de Vries", "Lindelaan 5", "1234 AB Amersfoort", "NL"]
    assert manifest["kind"] == "reminder"
    letter = (tmp_path / f"{stem}.txt").read_text(encoding="utf-8")
    assert "Lindelaan 5" in letter
    assert message.subject in letter


def test_same_key_is_written_once(tmp_path: pathlib.Path) -> None:
    """Sending a letter again returns the same name and writes nothing new."""
    service = FolderLetterService(tmp_path)
    channel = LetterChannel(service)
    message = outgoing(Channel.LETTER)
    first = channel.send(message)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert channel.send(message) == first
    assert {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    assert channel.send(outgoing(Channel.LETTER, key="other")) != first


def test_names_are_deterministic_across_instances(tmp_path: pathlib.Path) -> None:
    """A new service on the same folder recognises a letter written before (a restart)."""
    message = outgoing(Channel.LETTER)
    first = LetterChannel(FolderLetterService(tmp_path)).send(message)
    assert LetterChannel(FolderLetterService(tmp_path)).send(message) == first
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_letter_without_postal_address_is_refused(tmp_path: pathlib.Path) -> None:
    """A letter with no address lines is a permanent error."""
    with pytest.raises(DeliveryError, match="postal address") as caught:
        LetterChannel(FolderLetterService(tmp_path)).send(
            outgoing(Channel.LETTER, recipient="D-1001")
        )
    assert caught.value.permanent


def test_folder_service_satisfies_the_letter_service_port(tmp_path: pathlib.Path) -> None:
    """FolderLetterService is a LetterService."""
    assert isinstance(FolderLetterService(tmp_path), LetterService)
