"""Grade a synthetic class with `dsconv-course grade`: serial, then in parallel; print the throughput.

    python benchmarks/grading_class.py [--students 200] [--assignment ex01] [--jobs 2] [--timeout 10]

The class mixes what a real one hands in: correct solutions (some re-saved by
Colab), blank notebooks, mechanically wrong answers, broken files (invalid
JSON, a syntax error, a deleted test cell) and hostile ones (a rebound check
function, a patched numpy, an infinite loop, a memory hog, an output flood).
The same folder is graded with --jobs 1 and with --jobs N; the script prints
submissions per minute and seconds per notebook for each, checks that both
runs wrote the same grades, and writes the figures to
benchmarks/results/grading_class_<jobs>jobs.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cells(notebook: dict) -> dict[str, dict]:
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in notebook["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


def variants(assignment: str) -> dict[str, callable]:
    """name -> function(solution notebook, blank notebook) -> notebook dict or raw text."""
    def answers_of(solution: dict) -> list[str]:
        return [gid for gid, c in cells(solution).items() if c["metadata"]["nbgrader"].get("solution")]

    def with_answer(notebook: dict, grade_id: str, source: str) -> dict:
        notebook = json.loads(json.dumps(notebook))
        cells(notebook)[grade_id]["source"] = source
        return notebook

    def wrong(solution: dict, blank: dict) -> dict:  # every answer's first "+" becomes "-"
        notebook = json.loads(json.dumps(solution))
        for gid in answers_of(notebook):
            cell = cells(notebook)[gid]
            cell["source"] = "".join(cell["source"]).replace(" + ", " - ", 1)
        return notebook

    def colab(solution: dict, blank: dict) -> dict:
        notebook = json.loads(json.dumps(solution))
        notebook["nbformat_minor"] = 0
        notebook["metadata"]["colab"] = {"provenance": []}
        for i, cell in enumerate(notebook["cells"]):
            cell["metadata"]["id"] = f"colab{i}"
        return notebook

    def deleted_test(solution: dict, blank: dict) -> dict:
        notebook = json.loads(json.dumps(solution))
        tests = [c for c in notebook["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")
                 and not c["metadata"]["nbgrader"].get("solution")]
        notebook["cells"].remove(tests[0])
        return notebook

    def first(solution: dict) -> str:
        return answers_of(solution)[0]

    return {
        "correct": lambda s, b: s,
        "colab": colab,
        "blank": lambda s, b: b,
        "wrong": wrong,
        "deleted_test": deleted_test,
        "syntax_error": lambda s, b: with_answer(s, first(s), "def broken(:\n    pass\n"),
        "invalid_json": lambda s, b: json.dumps(s)[:-200],
        "rebinds_check": lambda s, b: with_answer(b, first(s), "check_array = check_close = lambda *a, **k: None\n"),
        "patches_numpy": lambda s, b: with_answer(b, first(s), "np.isclose = lambda *a, **k: True\n"),
        "infinite_loop": lambda s, b: with_answer(b, first(s), "while True:\n    pass\n"),
        "memory_hog": lambda s, b: with_answer(b, first(s), "hog = [bytearray(2**27) for _ in range(10**4)]\n"),
        "output_flood": lambda s, b: with_answer(b, first(s), "for _ in range(10**6):\n    print('x' * 100)\n"),
    }


# Out of every 100 students: mostly honest work, a few broken files, a few attacks.
MIX = {"correct": 40, "colab": 10, "blank": 10, "wrong": 22, "deleted_test": 3, "syntax_error": 3,
       "invalid_json": 2, "rebinds_check": 3, "patches_numpy": 3, "infinite_loop": 1, "memory_hog": 1,
       "output_flood": 2}


def make_class(folder: Path, assignment: str, students: int) -> dict[str, int]:
    notebook = f"{assignment}.ipynb"
    solution = json.loads((REPO / "solutions" / assignment / notebook).read_text())
    blank = json.loads((REPO / "exercises" / assignment / notebook).read_text())
    makers = variants(assignment)
    kinds = [kind for kind, share in MIX.items() for _ in range(share)]
    counts: dict[str, int] = {}
    for i in range(students):
        kind = kinds[i % len(kinds)]
        counts[kind] = counts.get(kind, 0) + 1
        content = makers[kind](solution, blank)
        text = content if isinstance(content, str) else json.dumps(content, indent=1)
        (folder / f"student{i:03d}_{kind}_{assignment}.ipynb").write_text(text, encoding="utf-8")
    return counts


def grade(submissions: Path, out: Path, jobs: int, timeout: int) -> float:
    command = [sys.executable, "-m", "dsconv_grader", "--repo", str(REPO), "grade", str(submissions),
               "--out", str(out), "--jobs", str(jobs), "--timeout", str(timeout), "--memory-mb", "2048"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"grading failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return elapsed


def grades(out: Path) -> list[tuple]:
    with (out / "grades.csv").open(newline="") as f:
        return sorted((r["student_id"], r["status"], r["score"], r["file"]) for r in csv.DictReader(f))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--assignment", default="ex01")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=int, default=10, help="seconds per cell (the infinite loops use it all)")
    parser.add_argument("--skip-serial", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dsconv-bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "class").mkdir()
        counts = make_class(tmp / "class", args.assignment, args.students)
        print(f"{args.students} submissions of {args.assignment}: {counts}")
        runs = {}
        for jobs in ([] if args.skip_serial else [1]) + [args.jobs]:
            out = tmp / f"out{jobs}"
            seconds = grade(tmp / "class", out, jobs, args.timeout)
            runs[jobs] = {"seconds": round(seconds, 1), "per_minute": round(60 * args.students / seconds, 1),
                          "seconds_per_notebook": round(seconds / args.students, 3), "grades": grades(out)}
            print(f"--jobs {jobs}: {seconds:6.1f} s, {runs[jobs]['per_minute']:6.1f} submissions/min, "
                  f"{runs[jobs]['seconds_per_notebook']:.2f} s per notebook (wall clock)")
        if len(runs) == 2:
            same = runs[1]["grades"] == runs[args.jobs]["grades"]
            print(f"serial and parallel grades identical: {same}")
            if not same:
                raise SystemExit("the parallel run's grades differ from the serial run's")
            print(f"speed-up with {args.jobs} jobs: {runs[1]['seconds'] / runs[args.jobs]['seconds']:.2f}x")
        shutil.rmtree(tmp / "class")
    record = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "assignment": args.assignment, "students": args.students, "mix": counts,
              "timeout_s": args.timeout,
              "runs": {str(j): {k: v for k, v in r.items() if k != "grades"} for j, r in runs.items()}}
    path = REPO / "benchmarks" / "results" / f"grading_class_{args.jobs}jobs.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
