"""nbgrader's Execute step in two processes (`execute.TwoProcessExecute`).

    execute      the preprocessor: which kernel runs which cell, limits, kernel deaths
    kernelspecs  the two kernels' specs, made in code
    kernel       the student's kernel, confined before any of its code runs (`sandbox`)
    remote       the trusted kernel that runs the test cells, and what it calls in the student's

Nothing is imported here: the student's kernel imports `kernel` alone, and
nbgrader is loaded only with `execute`.
"""
