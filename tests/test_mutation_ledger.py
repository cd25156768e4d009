"""The mutation ledger (mutation/ledger.py): which recorded outcomes a later session may reuse."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


ledger = _load("mutation_ledger", ROOT / "mutation" / "ledger.py")
Entry = ledger.Entry

F1, F2 = "aaaaaaaaaaaa", "bbbbbbbbbbbb"
M1, M2 = "11111111", "22222222"
NAME = "booking.domain.undo.x_undo_deadline__mutmut_1"
OTHER = "booking.domain.undo.x_undo_deadline__mutmut_2"


def test_the_ledger_is_one_sorted_line_per_mutant_and_reads_back_the_same():
    entries = {OTHER: Entry(F1, M2, "no tests"), NAME: Entry(F1, M1, "killed")}
    lines = ledger.format_lines(entries, "ledger of pass domain\nmutant, hashes, status")
    assert lines == [
        "# ledger of pass domain",
        "# mutant, hashes, status",
        f"{NAME} {F1} {M1} killed",
        f"{OTHER} {F1} {M2} no-tests",
    ]
    assert ledger.parse(lines + ["", "  "]) == entries


def test_a_ledger_line_without_four_fields_is_refused_with_its_number():
    with pytest.raises(ValueError, match="line 2"):
        ledger.parse(["# header", f"{NAME} {F1} killed"])


def test_a_missing_ledger_reads_as_empty_and_a_written_one_reads_back(tmp_path):
    path = tmp_path / "ledger" / "domain.txt"
    assert ledger.read(path) == {}
    ledger.write(path, {NAME: Entry(F1, M1, "caught by type check")}, "pass domain")
    assert ledger.read(path) == {NAME: Entry(F1, M1, "caught by type check")}
    assert path.read_text().endswith("caught-by-type-check\n")


def test_the_mutant_hash_follows_the_mutated_source():
    source = "def x_f__mutmut_1(a):\n    return a <= 1\n"
    assert ledger.mutant_hash(source) == ledger.mutant_hash(source)
    assert len(ledger.mutant_hash(source)) == 8
    assert ledger.mutant_hash(source) != ledger.mutant_hash(source.replace("<=", "<"))


@pytest.mark.parametrize("status", ["killed", "timeout", "caught by type check"])
def test_a_recorded_kill_of_an_unchanged_mutant_is_reused(status):
    assert ledger.reusable({NAME: Entry(F1, M1, status)}, {NAME: (F1, M1)}) == {NAME: status}


@pytest.mark.parametrize("status", ["survived", "no tests", "suspicious", "segfault"])
def test_a_recorded_survivor_is_tested_again(status):
    assert ledger.reusable({NAME: Entry(F1, M1, status)}, {NAME: (F1, M1)}) == {}


@pytest.mark.parametrize(
    "current",
    [
        {NAME: (F2, M1)},  # the function changed
        {NAME: (F1, M2)},  # same name, another mutation (renumbered)
        {OTHER: (F1, M1)},  # the mutant is gone
        {},
    ],
)
def test_a_recorded_kill_of_a_changed_or_vanished_mutant_is_not_reused(current):
    assert ledger.reusable({NAME: Entry(F1, M1, "killed")}, current) == {}


def test_this_sessions_outcome_replaces_the_recorded_one_even_a_kill():
    recorded = {NAME: Entry(F1, M1, "killed")}
    assert ledger.merge(recorded, {NAME: (F1, M1)}, {NAME: "survived"}) == {NAME: Entry(F1, M1, "survived")}


def test_a_mutant_not_tested_now_keeps_its_record_only_while_unchanged():
    recorded = {NAME: Entry(F1, M1, "survived"), OTHER: Entry(F1, M2, "killed")}
    current = {NAME: (F1, M1), OTHER: (F2, M2)}
    merged = ledger.merge(recorded, current, {NAME: "not checked", OTHER: "not checked"})
    assert merged == {NAME: Entry(F1, M1, "survived")}
    assert ledger.statuses(merged, current) == {NAME: "survived", OTHER: "not checked"}


def test_a_changed_mutant_tested_now_is_recorded_under_its_new_hashes():
    recorded = {NAME: Entry(F1, M1, "killed")}
    assert ledger.merge(recorded, {NAME: (F2, M2)}, {NAME: "killed"}) == {NAME: Entry(F2, M2, "killed")}


def test_mutants_that_are_gone_leave_the_ledger():
    recorded = {NAME: Entry(F1, M1, "killed"), OTHER: Entry(F1, M2, "killed")}
    assert ledger.merge(recorded, {NAME: (F1, M1)}, {}) == {NAME: Entry(F1, M1, "killed")}


MODULE = '''
def is_due(deadline, now, grace=0):
    """Whether the deadline has come."""
    return deadline - grace <= now
'''
PYPROJECT = """
[tool.mutmut]
source_paths = ["pkg"]
only_mutate = ["pkg/*"]
pytest_add_cli_args_test_selection = ["tests"]
use_git_change_detection = false
"""


@pytest.fixture
def tiny_stage(tmp_path, monkeypatch):
    """A stage with a one-function package, its mutants generated; run.py's steps run in it, in process."""
    from mutmut.configuration import reset_config

    stage = tmp_path / "stage"
    (stage / "pkg").mkdir(parents=True)
    (stage / "tests").mkdir()
    (stage / "pkg" / "__init__.py").write_text("")
    (stage / "pkg" / "due.py").write_text(MODULE)
    (stage / "pyproject.toml").write_text(PYPROJECT)
    run_py = _load("mutation_run", ROOT / "mutation" / "run.py")
    subprocess.run([sys.executable, "-c", run_py.GENERATE], cwd=stage, check=True, capture_output=True)
    monkeypatch.chdir(stage)
    monkeypatch.setattr(run_py, "LEDGER", tmp_path / "ledger")
    reset_config()
    yield run_py
    reset_config()


def test_a_new_session_marks_recorded_kills_in_mutmuts_results_and_records_its_own(tiny_stage, tmp_path):
    """run.py's steps on a one-function package: seed from the ledger, list, record (no test runs)."""
    run_py, book = tiny_stage, tmp_path / "ledger" / "tiny.txt"
    assert run_py.seed("tiny") == 0  # no ledger yet
    assert run_py.unchecked_sample("tiny", 100) == sorted(run_py.checked_now(), key=run_py.shuffled)
    first, second = sorted(run_py.checked_now())[:2]

    # an earlier session killed the first mutant and saw the second survive
    current = run_py.current_mutants()["pkg/due.py"]
    ledger.write(book, {first: Entry(*current[first], "killed"), second: Entry(*current[second], "survived")}, "t")
    assert run_py.seed("tiny") == 1
    assert run_py.checked_now()[first] == "killed" and run_py.checked_now()[second] == "not checked"
    assert [m for s in run_py.collect({}, "tiny") for m in s.survivors] == [second]
    assert not {first, second} & set(run_py.unchecked_sample("tiny", 100))  # both checked, by the ledger
    assert set(ledger.read(book)) == {first, second}

    (tmp_path / "stage" / "pkg" / "due.py").write_text(MODULE.replace("<=", "<"))  # the function changes
    subprocess.run([sys.executable, "-c", run_py.GENERATE], check=True, capture_output=True)
    assert run_py.seed("tiny") == 0
    run_py.record("tiny")
    assert ledger.read(book) == {}
    assert first in run_py.unchecked_sample("tiny", 100)


def test_a_pass_that_reuses_another_stages_ledger_takes_its_kills_and_not_its_survivors(tiny_stage, tmp_path):
    """services-pg reuses services-write2's ledger: a kill on SQLite is not tested again on PostgreSQL."""
    run_py = tiny_stage
    first, second = sorted(run_py.checked_now())[:2]
    current = run_py.current_mutants()["pkg/due.py"]
    ledger.write(tmp_path / "ledger" / "sqlite.txt",
                 {first: Entry(*current[first], "killed"), second: Entry(*current[second], "survived")}, "t")
    assert run_py.seed("tiny") == 0  # the stage's own ledger is empty
    assert run_py.seed("tiny", ["sqlite"]) == 1
    assert run_py.checked_now()[first] == "killed" and run_py.checked_now()[second] == "not checked"
    run_py.record("tiny")
    assert ledger.read(tmp_path / "ledger" / "tiny.txt")[first].status == "killed"


def test_the_mutant_hash_is_taken_over_the_mutated_functions_generated_source(tiny_stage):
    run_py = tiny_stage
    current = run_py.current_mutants()["pkg/due.py"]
    spans = json.loads(Path("mutants/pkg/due.py.spans").read_text())["spans"]
    lines = Path("mutants/pkg/due.py").read_text().splitlines(keepends=True)
    function_hash = json.loads(Path("mutants/pkg/due.py.meta").read_text())["hash_by_function_name"]["x_is_due"]
    for name, hashes in current.items():
        start, end = spans[name.rpartition(".")[2]]
        assert hashes == (function_hash, ledger.mutant_hash("".join(lines[start - 1 : end])))
    assert len(set(current.values())) == len(current) >= 3


def test_every_file_of_the_domain_and_the_services_is_mutated_by_some_pass():
    """A file in no pass of mutation/passes.toml would be silently left out of the reported score."""
    import fnmatch
    import tomllib

    with open(ROOT / "mutation" / "passes.toml", "rb") as file:
        patterns = [p for settings in tomllib.load(file).values() for p in settings["only_mutate"]]
    files = sorted(str(path.relative_to(ROOT)) for folder in ("booking/domain", "booking/services")
                   for path in (ROOT / folder).glob("*.py"))
    assert len(files) > 60  # the folders were found
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []



def test_every_postgresql_pass_mutates_only_files_that_a_sqlite_pass_it_reuses_mutates():
    """A PostgreSQL pass tests only what SQLite could not kill: each of its files is in a SQLite pass named
    in its `reuse` (whose kills it takes). A SQLite pass may reuse too (a file's second pass, with other
    tests), under the same rule: it mutates only files of the passes it reuses, all on SQLite."""
    import fnmatch
    import tomllib

    with open(ROOT / "mutation" / "passes.toml", "rb") as file:
        passes = tomllib.load(file)
    on_postgresql = {name for name, settings in passes.items() if settings.get("database") == "postgresql"}
    assert {"services-pg", "events-pg", "reports-pg", "mail-pg", "staff-pg"} <= on_postgresql
    assert all(settings.get("database", "sqlite") in ("sqlite", "postgresql") for settings in passes.values())
    reusing = {name for name, settings in passes.items() if settings.get("reuse")}
    assert on_postgresql <= reusing
    assert reusing - on_postgresql == {"transactions"}
    for name in sorted(reusing):
        reused = passes[name].get("reuse", [])
        assert reused and all(r in passes and r not in on_postgresql and r != name for r in reused), name
        patterns = [p for r in reused for p in passes[r]["only_mutate"]]
        files = [str(path.relative_to(ROOT)) for glob in passes[name]["only_mutate"] for path in ROOT.glob(glob)]
        assert files, name
        assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == [], name


def test_the_report_adds_a_whole_folder_line_over_every_pass_and_names_a_pass_left_out():
    run_py = _load("mutation_run_folders", ROOT / "mutation" / "run.py")
    Counts = run_py.Counts
    counts = {"booking/services/a.py": Counts(mutants=10, checked=6, killed=5, equivalent=1),  # pass one
              "booking/services/b.py": Counts(mutants=20, checked=20, killed=17, equivalent=0),  # pass two
              "booking/domain/c.py": Counts(mutants=4, checked=4, killed=4, equivalent=0)}
    patterns = {"domain": ["booking/domain/*"], "one": ["booking/services/a.py"],
                "two": ["booking/services/b.py"], "three": ["booking/services/d.py"]}
    lines = run_py.whole_folders(counts, ["domain", "one", "two"], patterns)
    assert lines == [
        "booking/domain/: 4 mutants, 4 checked, 4 killed, 0 equivalent: 100.0 % of the checked non-equivalent"
        " killed; 0 not checked yet (counting them as survivors: 100.0 %); each file's score of the checked"
        " weighted by its mutants: 100.0 % (95 % interval 100.0–100.0 %, each file's checked mutants taken as a"
        " uniform sample of it)",
        # 22 killed of 26 checked less 1 equivalent; 4 unchecked, and 22 of 29 counting them as survivors;
        # a.py 5 of 5 for its 9, b.py 17 of 20 for its 20: 26 of 29
        "booking/services/: 30 mutants, 26 checked, 22 killed, 1 equivalent: 88.0 % of the checked non-equivalent"
        " killed; 4 not checked yet (counting them as survivors: 75.9 %); each file's score of the checked"
        " weighted by its mutants: 89.7 % (95 % interval 82.9–96.4 %, each file's checked mutants taken as a"
        " uniform sample of it)",
        "    (passes left out of this line, not in this run: three)",
    ]
    counts["booking/services/d.py"] = Counts(mutants=7)
    assert run_py.whole_folders(counts, ["domain", "one", "two", "three"], patterns)[1].endswith(
        "uniform sample of it) (left out: 1 file with none checked)")


def test_the_folder_estimate_is_exact_for_files_checked_whole_and_an_interval_for_samples():
    """Cochran's stratified estimate: a file checked whole adds no uncertainty; a sample adds some, even
    when every sampled mutant was killed (rule of succession); the interval narrows as the sample grows."""
    run_py = _load("mutation_run_interval", ROOT / "mutation" / "run.py")
    Counts = run_py.Counts
    assert run_py.stratified_interval([Counts(mutants=100, checked=100, killed=90)]) == (90.0, 90.0, 90.0)
    # a.py: 5 of 5 sampled of its 9 (1 equivalent left out); b.py: 17 of 20, checked whole.
    # Variance 9² · (6/7)(1/7) / 5 · (9 − 5)/(9 − 1) = 0.9918; ± 1.96 · √0.9918 / 29 = ± 6.73 points
    middle, low, high = run_py.stratified_interval([Counts(mutants=10, checked=6, killed=5, equivalent=1),
                                                    Counts(mutants=20, checked=20, killed=17)])
    assert (round(middle, 2), round(low, 2), round(high, 2)) == (89.66, 82.92, 96.39)
    small = run_py.stratified_interval([Counts(mutants=100, checked=10, killed=10)])
    large = run_py.stratified_interval([Counts(mutants=100, checked=60, killed=60)])
    assert small[0] == large[0] == 100.0 and small[1] < large[1] < 100.0 and small[2] == large[2] == 100.0
    # files with none checked are left out; none at all is no evidence against the folder
    assert run_py.stratified_interval([Counts(mutants=7), Counts(mutants=10, checked=10, killed=5)]) == (
        50.0, 50.0, 50.0)
    assert run_py.stratified_interval([]) == (100.0, 100.0, 100.0)


def test_a_file_in_two_passes_counts_each_mutant_once_killed_when_either_pass_killed_it():
    """new_booking.py is mutated on SQLite (services-write2) and on PostgreSQL (services-pg)."""
    run_py = _load("mutation_run_merge", ROOT / "mutation" / "run.py")
    sqlite = {"m1": "killed", "m2": "no tests", "m3": "survived", "m4": "not checked", "m5": "killed"}
    postgresql = {"m1": "not checked", "m2": "killed", "m3": "survived", "m4": "survived", "m5": "survived"}
    merged = run_py.merged_outcomes(sqlite, postgresql)
    assert merged == {"m1": "killed", "m2": "killed", "m3": "survived", "m4": "survived", "m5": "killed"}
    assert run_py.merged_outcomes(postgresql, sqlite) == merged
    # m3 is listed as equivalent (counted), m1 is listed but killed now (not counted)
    assert run_py.file_counts(merged, {"m3", "m1"}) == run_py.Counts(mutants=5, checked=5, killed=3, equivalent=1)
    assert run_py.file_counts({"m1": "not checked"}, {"m1"}) == run_py.Counts(mutants=1, checked=0, killed=0,
                                                                               equivalent=0)


def test_the_per_file_table_scores_each_file_over_its_checked_non_equivalent_mutants():
    """The table a closing note quotes: a file of every pass merged, equivalents left out of the score,
    an unchecked file shown as '-' rather than 0 % or 100 %."""
    run_py = _load("mutation_run_per_file", ROOT / "mutation" / "run.py")
    counts = {"booking/services/b.py": run_py.Counts(mutants=10, checked=10, killed=8, equivalent=2),
              "booking/services/a.py": run_py.Counts(mutants=4, checked=3, killed=1, equivalent=0),
              "booking/services/c.py": run_py.Counts(mutants=2, checked=0, killed=0, equivalent=0)}
    lines = run_py.per_file(counts)
    assert lines[0].split()[0] == "file"
    assert [line.split() for line in lines[1:]] == [
        ["booking/services/a.py", "4", "3", "1", "0", "33.3%"],
        ["booking/services/b.py", "10", "10", "8", "2", "100.0%"],
        ["booking/services/c.py", "2", "0", "0", "0", "-"],
    ]


def test_the_gate_judges_each_folder_against_the_highest_target_of_its_passes_counting_unchecked_as_survivors():
    """--check (make mutation): a folder misses when killed ÷ (mutants − equivalent) is below its target,
    unchecked mutants counted as survivors; a folder with a pass left out of the run is not judged, and a
    PostgreSQL pass that only tests what its SQLite pass left has no verdict of its own."""
    run_py = _load("mutation_run_gate", ROOT / "mutation" / "run.py")
    Counts = run_py.Counts
    settings = {"domain": {"only_mutate": ["booking/domain/*"], "target": 95},
                "one": {"only_mutate": ["booking/services/a.py"], "target": 90},
                "one-pg": {"only_mutate": ["booking/services/a.py"], "target": 90, "database": "postgresql"}}
    counts = {"booking/domain/c.py": Counts(mutants=100, checked=100, killed=95, equivalent=0),
              "booking/services/a.py": Counts(mutants=21, checked=20, killed=18, equivalent=1)}

    passed, lines = run_py.gate(counts, ["domain", "one", "one-pg"], settings)
    assert passed
    assert lines == ["booking/domain/: 95.0 % meets its target of 95 %",
                     "booking/services/: 90.0 % meets its target of 90 %"]

    counts["booking/domain/c.py"] = Counts(mutants=100, checked=99, killed=94, equivalent=0)  # one unchecked
    passed, lines = run_py.gate(counts, ["domain", "one", "one-pg"], settings)
    assert not passed
    assert lines[0] == "booking/domain/: 94.0 % is below its target of 95 % (unchecked counted as survivors)"

    passed, lines = run_py.gate(counts, ["one"], settings)
    assert lines[1] == "booking/services/: not judged, passes not in this run: one-pg"
    assert lines[0] == "booking/domain/: not judged, passes not in this run: domain"
    assert passed
