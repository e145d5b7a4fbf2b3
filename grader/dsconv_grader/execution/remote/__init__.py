"""Grading in two processes: the student's code runs in one kernel, the tests in another.

- `wire`: plain data as bytes, decoded without trusting the sender;
- `serve`: the student's side, imported in the student's kernel;
- `proxy`: the trusted side's client and the stand-ins for the student's names and objects;
- `names`: which names a test cell reads are the student's, bound before each cell;
- `verdict`: the trusted kernel itself (`python -m dsconv_grader.execution.remote.verdict`).
"""
