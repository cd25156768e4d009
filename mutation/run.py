"""Mutation testing of the domain and the booking write path with mutmut: scores and survivors.

    .venv/bin/python mutation/run.py                     # every pass of mutation/passes.toml
    .venv/bin/python mutation/run.py --pass domain       # one pass
    .venv/bin/python mutation/run.py --pass domain --file booking/domain/rules.py   # one file again
    .venv/bin/python mutation/run.py --survivors         # test the current survivors again
    .venv/bin/python mutation/run.py --report            # print the last results, run nothing
    .venv/bin/python mutation/run.py --pass services-feeds --sample 40   # 40 mutants a file (resumable)

Each pass runs in build/mutation/<pass>/: symbolic links to the code, the tests, the
templates and the migrations, and the project's pyproject.toml with a [tool.mutmut]
section made from the pass (only_mutate, tests), so a rule is mutated against the tests of
its own layer only. mutmut copies all that into build/mutation/<pass>/mutants/ and keeps
its results there: a second run tests only new or changed mutants. mutmut runs under
`nice -n 10` (--nice N) with --max-children workers (default 1: the machine is shared).

--sample N tests, in each file, the first N mutants of a fixed shuffled order (seeded with
the mutant's name), skipping those already checked: a second run with the same or a larger N
resumes where the first stopped. On a busy machine this gives every file a score in minutes
where the whole pass takes hours; the report then shows the score of the checked mutants.

The report gives, per file: mutants, killed (a test failed, or the mutant timed out),
survived, without tests, equivalent (listed in mutation/equivalent.toml), and the score =
killed ÷ (mutants − equivalent); then every survivor that is not listed, with its diff.
With --check the exit status is 1 when a pass is below its target.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "mutation"
BUILD = ROOT / "build" / "mutation"
LINKED = ("booking", "tests", "templates", "migrations")
KILLED = {"killed", "timeout", "caught by type check"}


def load_toml(path: Path) -> dict[str, Any]:
    with open(path, "rb") as file:
        return tomllib.load(file)


def passes() -> dict[str, dict[str, Any]]:
    return {name: dict(values) for name, values in load_toml(HERE / "passes.toml").items()}


def equivalents() -> dict[str, str]:
    return dict(load_toml(HERE / "equivalent.toml").get("mutants", {}))


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def stage(name: str, settings: dict[str, Any], without: list[str] | None = None) -> Path:
    """build/mutation/<name>/ with links to the sources and a pyproject.toml for this pass.

    `without` leaves more test files out, in a stage of its own (<name>-without): the
    score before those tests existed.
    """
    folder = BUILD / (f"{name}-without" if without else name)
    if without:
        settings = {**settings, "ignore": [*settings.get("ignore", []), *without]}
    folder.mkdir(parents=True, exist_ok=True)
    for entry in LINKED:
        link = folder / entry
        if not link.is_symlink():
            link.symlink_to(ROOT / entry, target_is_directory=True)
    only = list(settings["only_mutate"])
    tests = list(settings["tests"])
    ignored = [f"--ignore={path}" for path in settings.get("ignore", [])]
    ignored += [f"--deselect={test}" for test in settings.get("deselect", [])]
    section = f"""
[tool.mutmut]
source_paths = ["booking"]
only_mutate = {toml_list(only)}
pytest_add_cli_args_test_selection = {toml_list(tests)}
pytest_add_cli_args = {toml_list(["-p", "no:cacheprovider", "-q", *ignored])}
also_copy = ["templates", "migrations"]
use_git_change_detection = false
"""
    text = (ROOT / "pyproject.toml").read_text()
    target = folder / "pyproject.toml"
    if not target.exists() or target.read_text() != text + section:
        target.write_text(text + section)
    return folder


# mutmut without its "clean tests" run (every selected test once more, unmutated), which the
# stats run has just done when it ran; on a busy machine that saves minutes per pass.
NO_CLEAN_RUN = (
    "import sys; from mutmut.workers import isolation as i; "
    "i.ForkServerRunner.run_clean_tests = i.ForkRunner.run_clean_tests = lambda self, tests: 0; "
    "from mutmut.__main__ import cli; sys.argv[0] = 'mutmut'; cli()"
)


def mutmut(folder: Path, *arguments: str, clean_run: bool = True, niceness: int = 10) -> int:
    program = [str(Path(sys.executable).parent / "mutmut")] if clean_run else [sys.executable, "-c", NO_CLEAN_RUN]
    command = ["nice", "-n", str(niceness), *program, *arguments]
    print(f"$ (cd {folder.relative_to(ROOT)} && {' '.join(command)})", flush=True)
    return subprocess.run(command, cwd=folder).returncode


@dataclass
class FileScore:
    path: str
    statuses: dict[str, str]
    equivalent: set[str] = field(default_factory=set)

    @property
    def killed(self) -> int:
        return sum(s in KILLED for s in self.statuses.values())

    @property
    def survivors(self) -> list[str]:
        return [m for m, s in self.statuses.items()
                if s not in KILLED and s != "not checked" and m not in self.equivalent]

    @property
    def checked(self) -> int:
        return sum(s != "not checked" for s in self.statuses.values())

    @property
    def checked_score(self) -> float:
        counted = self.checked - len(self.equivalent)
        return 100.0 * self.killed / counted if counted else 100.0

    @property
    def score(self) -> float:
        counted = len(self.statuses) - len(self.equivalent)
        return 100.0 * self.killed / counted if counted else 100.0


def collect(listed: dict[str, str]) -> list[FileScore]:
    """Read mutmut's results in the current folder (a pass's stage)."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.file_utils import walk_mutatable_files

    scores = []
    for path in sorted(walk_mutatable_files()):
        data = SourceFileMutationData(path=path)
        data.load()
        statuses = {m: status_by_exit_code[code] for m, code in data.exit_code_by_key.items()}
        if statuses:
            scores.append(FileScore(str(path), statuses,
                                    {m for m, s in statuses.items()
                                     if m in listed and s not in KILLED and s != "not checked"}))
    return scores


def changed_lines(name: str, path: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=path).splitlines()
    lines = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return "\n".join("        " + line.rstrip() for line in lines)


def report(name: str, target: float) -> bool:
    """Print the pass's table and survivors; True when the pass reaches its target."""
    listed = equivalents()
    scores = collect(listed)
    print(f"\n== pass {name}: score per file (killed ÷ (mutants − equivalent)); target {target:g} %")
    print(f"{'file':<40} {'mutants':>7} {'checked':>7} {'killed':>7} {'survived':>8} {'no tests':>8} "
          f"{'equiv.':>6} {'score':>7} {'of checked':>10}")
    for s in scores:
        survived = sum(v == "survived" for v in s.statuses.values()) - len(s.equivalent)
        no_tests = sum(v == "no tests" for v in s.statuses.values())
        print(f"{s.path:<40} {len(s.statuses):>7} {s.checked:>7} {s.killed:>7} {survived:>8} {no_tests:>8} "
              f"{len(s.equivalent):>6} {s.score:>6.1f}% {s.checked_score:>9.1f}%")
    total = sum(len(s.statuses) for s in scores)
    equivalent = sum(len(s.equivalent) for s in scores)
    killed = sum(s.killed for s in scores)
    overall = 100.0 * killed / (total - equivalent) if total > equivalent else 100.0
    checked = sum(s.checked for s in scores)
    of_checked = 100.0 * killed / (checked - equivalent) if checked > equivalent else 100.0
    print(f"{'all':<40} {total:>7} {checked:>7} {killed:>7} {'':>8} {'':>8} {equivalent:>6} {overall:>6.1f}%"
          f" {of_checked:>9.1f}%"
          f"   (without leaving equivalents out: {100.0 * killed / max(total, 1):.1f}%)")
    unchecked = [m for s in scores for m, v in s.statuses.items() if v == "not checked"]
    if unchecked:
        print(f"{len(unchecked)} mutants not checked yet: run the pass again")
    for s in scores:
        for mutant in s.survivors:
            print(f"  {s.statuses[mutant]}: {mutant}\n{changed_lines(mutant, s.path)}")
    killed_listed = sorted(m for s in scores for m, v in s.statuses.items() if m in listed and v in KILLED)
    for mutant in killed_listed:
        print(f"  listed as equivalent but killed now (remove it from equivalent.toml): {mutant}")
    return overall >= target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pass", dest="only_pass", choices=sorted(passes()))
    parser.add_argument("--file", help="test every mutant of this file again (e.g. booking/domain/rules.py)")
    parser.add_argument("--survivors", action="store_true", help="test the current survivors again")
    parser.add_argument("--report", action="store_true", help="print the last results only")
    parser.add_argument("--no-clean-run", action="store_true",
                        help="skip mutmut's run of the unmutated tests (when the stats run just passed)")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="test only the first N mutants of each file in a fixed shuffled order (resumable)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a pass is below its target")
    parser.add_argument("--max-children", type=int, default=int(os.environ.get("MUTATION_CHILDREN", "1")))
    parser.add_argument("--nice", type=int, default=10, metavar="N",
                        help="run mutmut under nice -n N (default 10; 0 to compete as the other work does)")
    parser.add_argument("--without", action="append", default=[], metavar="TEST_FILE",
                        help="leave this test file out too (a separate stage: the score without it)")
    parser.add_argument("--report-here", metavar="PASS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report_here:  # inside a pass's stage, where mutmut finds its configuration
        return 0 if report(args.report_here, float(passes()[args.report_here]["target"])) else 1

    ok = True
    for name, settings in passes().items():
        if args.only_pass and name != args.only_pass:
            continue
        folder = stage(name, settings, args.without)
        if not args.report:
            names: list[str] = []
            if args.file:
                names = [args.file.removesuffix(".py").replace("/", ".") + ".*"]
            elif args.survivors:
                names = survivors_of(folder, name)
            elif args.sample:
                names = sample_of(folder, name, args.sample)
            if not ((args.survivors or args.sample) and not names):
                mutmut(folder, "run", "--max-children", str(args.max_children), *names,
                       clean_run=not args.no_clean_run, niceness=args.nice)
        ok &= subprocess.run([sys.executable, str(Path(__file__).resolve()), "--report-here", name],
                             cwd=folder).returncode == 0
    return 1 if args.check and not ok else 0


def survivors_of(folder: Path, name: str) -> list[str]:
    found = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import run; "
         "print('\\n'.join(m for s in run.collect(run.equivalents()) for m in s.survivors))", str(HERE)],
        cwd=folder, capture_output=True, text=True, check=True).stdout.split()
    print(f"pass {name}: {len(found)} survivors to test again")
    return found


def sample_of(folder: Path, name: str, size: int) -> list[str]:
    """The first `size` mutants of each file in a fixed shuffled order that are not checked yet."""
    found = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import run; "
         "print('\\n'.join(run.unchecked_sample(int(sys.argv[2]))))", str(HERE), str(size)],
        cwd=folder, capture_output=True, text=True, check=True).stdout.split()
    print(f"pass {name}: {len(found)} sampled mutants to test ({size} a file)")
    return found


def unchecked_sample(size: int) -> list[str]:
    """Inside a stage: the sample of every file (see --sample), less the mutants already checked."""
    import hashlib

    chosen = []
    for s in collect({}):
        order = sorted(s.statuses, key=lambda m: hashlib.sha256(m.encode()).hexdigest())
        chosen += [m for m in order[:size] if s.statuses[m] == "not checked"]
    return chosen


if __name__ == "__main__":
    sys.exit(main())
