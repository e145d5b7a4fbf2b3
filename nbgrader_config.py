"""nbgrader configuration for dsconv-course (nbgrader 0.9.6, with the grader package, grader/).

Instructor notebooks (sources, with solutions and hidden tests) live in
solutions/<assignment>/; `nbgrader generate_assignment` (or `dsconv-course
generate`, which runs it in a scratch course directory) writes the student
versions to exercises/<assignment>/.

Grading, with `dsconv-course grade` or with nbgrader's own `nbgrader autograde`
and formgrader alike, runs the steps below: the test cells run in a trusted
kernel and the student's code in a confined one (dsconv_grader.execution.execute), so
a verdict never depends on what a student's code does in its own process.
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, ClearOutput, DeduplicateIds, GetGrades, IgnorePattern,
                                    LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

from dsconv_grader.execution.execute import TwoProcessExecute
from dsconv_grader.intake.metadata import CheckCellMetadata
from dsconv_grader.report.feedback import StudentFeedback
from dsconv_grader.report.html import FeedbackHTMLExporter

c = get_config()  # noqa: F821 - provided by nbgrader/traitlets when this file is loaded

c.CourseDirectory.course_id = "dsconv-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# nbgrader's autograde steps, with its Execute replaced by the two-process one (and its CheckCellMetadata by
# the same check with its JSON schema checked once per process, not once per cell).
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                      CheckCellMetadata]
c.Autograde.autograde_preprocessors = [TwoProcessExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# The students' feedback: nbgrader's steps, with the hidden tests' code and the grader's paths taken out.
c.GenerateFeedback.preprocessors = [GetGrades, StudentFeedback, CSSHTMLHeaderPreprocessor]
# nbconvert's HTML exporter, its templates compiled once per process instead of once per notebook.
c.GenerateFeedback.exporter_class = FeedbackHTMLExporter

# Limits on a student's notebook when grading.
# Each cell may run this many seconds; a cell that runs longer is interrupted,
# recorded as a CellTimeoutError (its test fails), and grading goes on.
c.TwoProcessExecute.timeout = 30
# The whole notebook may run this many seconds; the cells after that are not run.
c.TwoProcessExecute.notebook_timeout = 600
# Memory of each kernel (address-space limit, RLIMIT_AS), in MiB.
c.TwoProcessExecute.memory_limit_mb = 4096
# All the outputs of a notebook together, in KiB (errors are always kept).
c.TwoProcessExecute.output_limit_kb = 1024
# Retry nothing: a failing notebook is reported, not re-run.
c.TwoProcessExecute.execute_retries = 0
# A test cell that a student deleted is put back (from the original) and graded.
c.OverwriteCells.add_missing_cells = True
