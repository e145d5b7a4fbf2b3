"""`dsconv-course`: generate, validate and grade the exercises (see dsconv_grader)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

VOLATILE_NOTEBOOK_METADATA = ("colab", "widgets", "toc", "vscode")
VOLATILE_CELL_METADATA = ("execution", "colab", "outputId", "collapsed", "scrolled", "trusted")


def normalise(notebook: dict) -> dict:
    """A notebook without what changes from one save or run to the next (outputs, timings, UI state)."""
    notebook = json.loads(json.dumps(notebook))
    for key in VOLATILE_NOTEBOOK_METADATA:
        notebook.get("metadata", {}).pop(key, None)
    for cell in notebook.get("cells", []):
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return notebook


def generate(repo: Path, out: Path, assignments: Optional[list[str]] = None) -> list[Path]:
    """Write the student versions of `assignments` (all by default) to out/<assignment>/, via nbgrader."""
    import nbformat

    from .course import Course
    from .repository import assignment_notebooks

    ids = assignments or list(assignment_notebooks(repo))
    written = []
    with tempfile.TemporaryDirectory(prefix="dsconv-generate-") as tmp:
        course = Course.create(repo, Path(tmp), ids)
        for assignment in ids:
            course.generate(assignment)
            target = out / assignment
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            for name in course.notebooks[assignment]:
                notebook = nbformat.read(course.release_path(assignment, name), as_version=4)
                notebook = nbformat.from_dict(normalise(notebook))
                nbformat.write(notebook, target / name)
                written.append(target / name)
    return written


def drift(repo: Path, fresh: Path, committed: Path) -> list[str]:
    """What differs between freshly generated student notebooks and the committed ones."""
    differences = []
    fresh_files = {p.relative_to(fresh) for p in fresh.rglob("*.ipynb")}
    committed_files = {p.relative_to(committed) for p in committed.rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts}
    for missing in sorted(fresh_files - committed_files):
        differences.append(f"{missing}: missing from {committed.name}/")
    for extra in sorted(committed_files - fresh_files):
        differences.append(f"{extra}: in {committed.name}/ but not generated from solutions/")
    for name in sorted(fresh_files & committed_files):
        a = normalise(json.loads((fresh / name).read_text(encoding="utf-8")))
        b = normalise(json.loads((committed / name).read_text(encoding="utf-8")))
        if a != b:
            differences.append(f"{name}: differs from a fresh generation")
    return differences


def cmd_generate(args) -> int:
    from .repository import find_repository

    repo = args.repo or find_repository()
    committed = repo / "exercises"
    if args.check:
        with tempfile.TemporaryDirectory(prefix="dsconv-check-") as tmp:
            generate(repo, Path(tmp))
            differences = drift(repo, Path(tmp), committed)
        if differences:
            print("exercises/ is out of date with solutions/; run `dsconv-course generate`:")
            print("\n".join(f"  {d}" for d in differences))
            return 1
        print("exercises/ is up to date with solutions/")
        return 0
    for path in generate(repo, committed, args.assignment or None):
        print(f"wrote {path.relative_to(repo)}")
    return 0


def make_engine(args):
    """The engine the options ask for: --dask ADDRESS, --jobs 1 (serial here) or --jobs N (local processes)."""
    from .engines import DaskEngine, ProcessEngine, SerialEngine

    if getattr(args, "dask", None):
        return DaskEngine.local(args.jobs or os.cpu_count() or 1) if args.dask == "local" else DaskEngine(args.dask)
    jobs = args.jobs or os.cpu_count() or 1
    return SerialEngine() if jobs == 1 else ProcessEngine(jobs)


def grading_limits(repo: Path, args):
    from dataclasses import replace

    from .repository import limits

    configured = limits(repo)
    return replace(configured, timeout=args.timeout or configured.timeout,
                   notebook_timeout=getattr(args, "notebook_timeout", None) or configured.notebook_timeout,
                   memory_mb=getattr(args, "memory_mb", None) or configured.memory_mb,
                   output_kb=getattr(args, "output_kb", None) or configured.output_kb,
                   confine=not getattr(args, "no_confine", False))


def run_with(engine, jobs, on_result=None):
    from .batch import run_jobs

    try:
        return run_jobs(jobs, engine, on_result=on_result)
    finally:
        if hasattr(engine, "close"):
            engine.close()


def cmd_validate(args) -> int:
    from .batch import make_jobs
    from .course import Course
    from .intake import Collection, Submission
    from .repository import assignment_notebooks, find_repository

    repo = args.repo or find_repository()
    ids = args.assignment or list(assignment_notebooks(repo))
    failures = []
    with tempfile.TemporaryDirectory(prefix="dsconv-validate-") as tmp:
        course = Course.create(repo, Path(tmp), ids, grading_limits(repo, args))
        collection = Collection()
        for assignment in ids:
            course.generate(assignment)
            for name in course.notebooks[assignment]:
                solution = repo / "solutions" / assignment / name
                blank = repo / "exercises" / assignment / name
                collection.submissions.append(Submission("solution", assignment, solution, str(solution.relative_to(repo))))
                if blank.is_file():
                    collection.submissions.append(Submission("blank", assignment, blank, str(blank.relative_to(repo))))
                else:
                    failures.append(f"{blank.relative_to(repo)} is missing: run `dsconv-course generate`")
        results = run_with(make_engine(args), make_jobs(course, collection))
    for r in results:
        expected = r.max_score if r.student_id == "solution" else 0
        ok = r.status == "graded" and r.score == expected and r.max_score and not (
            r.student_id == "solution" and r.problems)
        print(f"{'ok  ' if ok else 'FAIL'} {r.original}: {r.score} / {r.max_score} (expected {expected}), "
              f"graded in {r.seconds:.2f} s"
              + (f"  [{'; '.join(r.problems)}]" if r.problems else ""))
        if not ok:
            lost = [cell for cell, score in r.cells.items() if score] if r.student_id == "blank" else \
                   [cell for cell, score in r.cells.items() if not score]
            failures.append(f"{r.original}: scored {r.score} of {r.max_score}, expected {expected}"
                            + (f" (cells: {', '.join(lost)})" if lost else "")
                            + (f"; problems: {'; '.join(r.problems)}" if r.problems else ""))
    if failures:
        print("validation failed:\n" + "\n".join(f"  {f}" for f in failures))
        return 1
    print(f"validated {len(ids)} assignment(s): solutions score full marks, blank exercises zero")
    return 0


def cmd_grade(args) -> int:
    from .batch import GradebookRecorder, make_jobs
    from .course import Course
    from .execution.sandbox import landlock_abi
    from .intake import collect
    from .report.outputs import summary, write_outputs
    from .repository import assignment_notebooks, find_repository

    repo = args.repo or find_repository()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    collection = collect(args.submissions.resolve(), out, assignment_notebooks(repo))
    assignments = sorted({s.assignment_id for s in collection.submissions})
    limits_ = grading_limits(repo, args)
    if limits_.confine and not landlock_abi():
        print("warning: this system has no Landlock, so a student's code can read and write whatever this "
              "user can; grade in a container (see the README)", file=sys.stderr)
    results = []
    if assignments:
        course = Course.create(repo, out, assignments, limits_)
        for assignment in assignments:
            course.generate(assignment)
        with GradebookRecorder(course) as gradebook:  # each result as it comes back, while the others are graded
            results = run_with(make_engine(args), make_jobs(course, collection), on_result=gradebook.record)
        csv_path = write_outputs(results, collection, out)
    else:
        csv_path = write_outputs([], collection, out)
    print(summary(results, collection, time.perf_counter() - started))
    print(f"grades: {csv_path}\nfeedback: {out / 'feedback'}\ngradebook: {out / 'course' / 'gradebook.db'}")
    return 0


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="students graded at once (default: the number of cores; 1 grades in this process)")
    p.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="hand the jobs to a Dask scheduler (tcp://host:8786), or 'local' for a local cluster "
                        "of --jobs workers")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: nbgrader_config.py)")
    p.add_argument("--notebook-timeout", type=int, default=None,
                   help="seconds for a whole notebook; the cells after it are not run (default: nbgrader_config.py)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dsconv-course",
        description="Generate, validate and grade the dsconv-course exercises with nbgrader.")
    parser.add_argument("--repo", type=Path, default=None,
                        help="the checkout (default: the folder with nbgrader_config.py at or above the cwd)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write exercises/ (student versions) from solutions/")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--check", action="store_true", help="write nothing; fail if exercises/ differs from a fresh generation")
    p.set_defaults(run=cmd_generate)

    p = sub.add_parser("validate", help="check that every solution scores full marks and every blank exercise zero")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    _engine_options(p)
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("grade", help="grade a folder or .zip of submissions; write feedback/ and grades.csv")
    p.add_argument("submissions", type=Path, help="a folder or .zip of .ipynb files, named as the LMS hands them out")
    p.add_argument("--out", type=Path, default=Path("graded"),
                   help="output folder: grades.csv, feedback/, and the scratch course/ (default: ./graded)")
    _engine_options(p)
    p.add_argument("--memory-mb", type=int, default=None,
                   help="memory limit of each student's kernel in MiB (default: nbgrader_config.py)")
    p.add_argument("--output-kb", type=int, default=None,
                   help="output (of every kind) a notebook may show before the rest is dropped, in KiB "
                        "(default: nbgrader_config.py; errors are always kept)")
    p.add_argument("--no-confine", action="store_true",
                   help="do not confine the kernel with Landlock (only on a machine that isolates each "
                        "grading run itself, e.g. one container per student)")
    p.set_defaults(run=cmd_grade)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    import warnings

    # nbgrader 0.9.6 on SQLAlchemy 2 warns about its own queries; they are not the instructor's concern.
    warnings.filterwarnings("ignore", module=r"nbgrader(\.|$)")
    warnings.filterwarnings("ignore", message=r".*SAWarning.*|.*relationship.*", category=Warning)
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        print("dsconv-course needs nbgrader: pip install -r requirements.txt (it installs the grader, grader/, with nbgrader)", file=sys.stderr)
        return 2
    if args.repo is not None:
        args.repo = args.repo.resolve()
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
