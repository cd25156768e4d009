"""The mutation ledger: each mutant's last outcome, kept in git so passes accumulate across sessions.

build/mutation/ (mutmut's own results) does not outlive a session; mutation/ledger/<pass>.txt does.
One line per mutant, sorted by name:

    <mutmut name> <function hash> <mutant hash> <status>
    booking.domain.undo.x_undo_deadline__mutmut_1 9c0e5b2f1a77 4d1f0c2a killed

- function hash: mutmut's hash of the unmutated function (12 hex digits of SHA-256 over its
  syntax tree), so any change to the function's code or docstring changes it;
- mutant hash: 8 hex digits of SHA-256 over the mutated function's generated source, so a
  mutant renumbered (a `# pragma: no mutate`, another mutmut version) is never mistaken
  for the old one of the same name;
- status: mutmut's status with spaces as dashes (killed, timeout, survived, no-tests, ...).

A run reuses an outcome only when it says killed (or timeout, or caught by the type check)
and both hashes still match: a killed mutant stays killed as long as its function is
unchanged and the tests only grow stronger. Survivors, mutants without tests and anything
whose hashes changed are tested again. The functions here are pure; mutation/run.py reads
mutmut's data and calls them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

KILLED = frozenset({"killed", "timeout", "caught by type check"})
NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Entry:
    """A mutant's recorded outcome and the hashes it was found under."""

    function_hash: str
    mutant_hash: str
    status: str

    def matches(self, hashes: tuple[str, str]) -> bool:
        return (self.function_hash, self.mutant_hash) == hashes


def mutant_hash(source: str) -> str:
    """8 hex digits of SHA-256 over a mutated function's generated source."""
    return hashlib.sha256(source.encode()).hexdigest()[:8]


def parse(lines: Iterable[str]) -> dict[str, Entry]:
    """Ledger lines to {mutant name: Entry}; blank lines and # comments are skipped.

    Raises ValueError on a line without exactly four fields.
    """
    entries = {}
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        fields = text.split()
        if len(fields) != 4:
            raise ValueError(f"ledger line {number}: expected 4 fields, got {text!r}")
        name, function_hash, mutant, status = fields
        entries[name] = Entry(function_hash, mutant, status.replace("-", " "))
    return entries


def format_lines(entries: Mapping[str, Entry], header: str) -> list[str]:
    """The ledger's lines: a # header, then one line per mutant sorted by name."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for name in sorted(entries):
        entry = entries[name]
        lines.append(f"{name} {entry.function_hash} {entry.mutant_hash} {entry.status.replace(' ', '-')}")
    return lines


def read(path: Path) -> dict[str, Entry]:
    """The ledger at `path`; empty when there is none yet."""
    if not path.exists():
        return {}
    return parse(path.read_text(encoding="utf-8").splitlines())


def write(path: Path, entries: Mapping[str, Entry], header: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(format_lines(entries, header)) + "\n", encoding="utf-8")


def reusable(ledger: Mapping[str, Entry], current: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """{mutant: status} of the recorded kills still valid: a killed status and both hashes unchanged.

    `current` maps each mutant of the generated code to its (function hash, mutant hash).
    """
    return {
        name: entry.status
        for name, entry in ledger.items()
        if entry.status in KILLED and name in current and entry.matches(current[name])
    }


def merge(
    ledger: Mapping[str, Entry], current: Mapping[str, tuple[str, str]], checked: Mapping[str, str]
) -> dict[str, Entry]:
    """The ledger after a run, over the mutants of the generated code only.

    `checked` holds this session's outcomes ({mutant: status}, "not checked" left out or
    ignored); they win. A mutant not checked now keeps its recorded outcome when both
    hashes still match. Mutants that are gone, or changed and not tested again, drop out.
    """
    merged = {}
    for name, hashes in current.items():
        status = checked.get(name, NOT_CHECKED)
        if status != NOT_CHECKED:
            merged[name] = Entry(*hashes, status)
        elif name in ledger and ledger[name].matches(hashes):
            merged[name] = ledger[name]
    return merged


def statuses(merged: Mapping[str, Entry], current: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """{mutant: status} for every mutant of the generated code, "not checked" when nothing holds."""
    return {name: merged[name].status if name in merged else NOT_CHECKED for name in current}
