"""nbgrader configuration for dsconv-course (nbgrader 0.9.6, the `instructor` extra).

Instructor notebooks (sources, with solutions and hidden tests) live in
solutions/<assignment>/; `nbgrader generate_assignment` (or `dsconv-course
generate`, which runs it in a scratch course directory) writes the student
versions to exercises/<assignment>/. Grading runs through `dsconv-course grade`,
which builds its own course directory (and gradebook) under its output folder
and reads the limits below from here.
"""

c = get_config()  # noqa: F821 - provided by nbgrader/traitlets when this file is loaded

c.CourseDirectory.course_id = "dsconv-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Limits on a student's code when grading.
# Each cell may run this many seconds; a cell that runs longer is interrupted,
# recorded as a CellTimeoutError (its test fails), and grading goes on.
c.Execute.timeout = 30
# Retry nothing: a failing notebook is reported, not re-run.
c.Execute.execute_retries = 0
# A test cell that a student deleted is put back (from the original) and graded.
c.OverwriteCells.add_missing_cells = True
# Memory for each student's kernel (address-space limit, RLIMIT_AS), in MiB:
# read by `dsconv-course grade` (dsconv_lib.course), which starts the kernel with it.
c.DsconvGrading.memory_limit_mb = 4096
