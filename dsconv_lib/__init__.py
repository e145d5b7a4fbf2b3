"""dsconv_lib: depthwise separable convolutions, from numpy loops to MobileNet.

The library behind the dsconv-course book and exercises:

- `dsconv_lib.shapes`     convolution geometry: output sizes, padding, argument checks
- `dsconv_lib.reference`  numpy convolutions with torch's semantics, as loops and vectorised
- `dsconv_lib.cost`       every cost formula (params, MACs, bytes), the roofline, profile()
- `dsconv_lib.nn`         torch blocks: depthwise separable convs, SE, Inception, Xception, MobileNets
- `dsconv_lib.factorize`  the linear-algebra view: equivalent kernels, SVD approximations
- `dsconv_lib.gpu`        a fused depthwise + pointwise GPU kernel (Triton), with a torch fallback
- `dsconv_lib.widgets`    the book's interactive views (live in Jupyter/Colab, static in the book)
- `dsconv_lib.explorer_data`  what the static book's explorers show, computed at build time as JSON
- `dsconv_lib.questions`  check-your-understanding questions whose answers the library computes
- `dsconv_lib.datasets`   small synthetic image sets (seeded, never downloaded) for the book's experiments
- `dsconv_lib.training`   the experiments' training loop: train_and_test(model, ...) -> TrainingResult
- `dsconv_lib.notebook`   what a book page needs as a page: glue(), numbers for the prose (a no-op in Colab)
- `dsconv_lib.timing`     robust wall-clock timing on a busy machine
- `dsconv_lib.checks`     what exercise test cells call (the grader is a package of its own, grader/)
- `dsconv_lib.mistakes`   per exercise: the cases its text names, and the known mistakes a failing test names
- `dsconv_lib.presubmit`  the exercises' last cell: what the grader would flag, before you submit

Importing dsconv_lib, shapes, reference, cost or factorize does not import torch.
"""

__version__ = "0.1.0"
