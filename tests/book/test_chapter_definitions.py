"""The chapters define only what is theirs: everything reusable is imported from dsconv_lib.

Every function and class a chapter's code defines (at any depth) must be listed below with the
reason it belongs to the chapter: a plot of that page, a toy network it trains, a step of a
derivation the page then checks against the library. A new definition fails this test until it
is either moved into the library or listed here with its reason; a listed name that is gone
fails too, so the list stays the chapters' own. And no chapter may define a name the library
exports: that is a copy of something the library has.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from notebooks import code_cells, load, source

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))

# chapter file stem -> {name defined in it: why it belongs to the chapter, not the library}
CHAPTER_ONLY: dict[str, dict[str, str]] = {
    "01_standard_convolution": {
        "draw_grid": "the chapter's picture of a sliding window",
        "formula": "the output-size derivation, checked in its cell against shapes.conv_output_size and torch",
        "textbook_convolution": "the flipped-kernel definition the chapter contrasts with cross-correlation",
        "torch_reference": "the chapter's one call of F.conv2d, the answer the numpy versions are compared with",
        "im2col_by_hand": "the loop that shows what a column is, before the library's reference.im2col",
    },
    "02_counting_cost": {
        "layer_costs": "the three layer kinds of the chapter's table, each a cost formula",
        "draw_roof": "the chapter's machine and axis labels on cost.draw_roofline",
        "rate": "a median over this page's measurements",
    },
    "03_spatially_separable": {
        "binomial": "Pascal's-triangle filters, built step by step as the text derives them",
        "separable_sum": "the sum of separable filterings the text writes as an equation, on factorize's terms",
    },
    "04_depthwise_grouped": {
        "connectivity": "the picture of which channels meet; it is also exercise 4's answer, so not in the library",
    },
    "06_depthwise_separable": {
        "khatri_rao": "the definition the chapter's proof is about, written out",
        "block": "the chapter's experiment: one layer, standard or separable",
        "make_network": "the chapter's small network for its experiment",
    },
    "07_mobilenet": {
        "layer_type": "the wording of the paper's Table 1 rows",
        "shape_text": "the formatting of the paper's Table 1 shapes",
        "v1_cost": "the paper's model at a width and resolution, profiled with the library",
        "lost_fraction": "the chapter's random-projection experiment on its spiral",
        "largest_by_side": "a summary of the profile's rows for the chapter's memory table",
    },
    "08_squeeze_excitation": {
        "squeeze_excite_numpy": "the equations of the text, checked against nn.SqueezeExcite",
        "n_params": "a one-line count for the chapter's table",
        "make_network": "the chapter's small SE network for its experiment",
        "block": "one layer of that network",
    },
    "09_inception_xception": {
        "branch_costs": "the four branches of the text's worked example, each a cost formula",
        "naive_block": "the block without reductions the text argues against, as cost formulas",
        "row_of": "which row of the paper's Table 1 a layer belongs to",
        "rows_of": "the paper's Table 1 recounted with cost.profile",
        "printed_as": "agreement at the precision the paper printed",
    },
    "10_flops_vs_wallclock": {
        "layer_costs": "the variants of one layer the chapter times, each a cost formula",
        "predicted_times": "the roofline bounds of those variants, from cost.roofline",
        "us": "the formatting of the live GPU table",
        "draw_roof": "the chapter's axis labels on cost.draw_roofline",
    },
    "11_beyond_images": {
        "series_net": "the chapter's 1D network for sensor series",
        "series_cost": "its cost as formulas, compared in the chapter with the profile",
        "block_3d_costs": "the 3D variants the chapter compares, each a cost formula",
        "pattern": "the chapter's synthetic electrode data",
        "burst": "the chapter's synthetic electrode data",
        "background": "the chapter's synthetic electrode data",
        "bandpass": "the chapter's filtering of that data",
        "ssd_layers": "SSD's extra layers as the chapter's table counts them, from cost formulas",
        "unit": "one stage of the chapter's small U-Net",
        "one": "one layer of that stage, standard (nn.conv_bn_act) or separable",
        "SmallUNet": "the chapter's small U-Net",
        "measured_crossover": "read off the chapter's own timings",
    },
}


def definitions(notebook: Path) -> set[str]:
    """The names of the functions and classes the notebook's code cells define, at any depth."""
    to_python = TransformerManager().transform_cell  # %pip and !commands as IPython runs them
    names = set()
    for cell in code_cells(load(notebook)):
        tree = ast.parse(to_python(source(cell)))
        names |= {node.name for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return names - {"__init__", "forward", "__call__", "__repr__"}  # methods of a listed class


def library_names() -> set[str]:
    """Every public name a module of dsconv_lib defines (not what it merely imports)."""
    import dsconv_lib

    names = set()
    for info in pkgutil.walk_packages(dsconv_lib.__path__, "dsconv_lib."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # the Triton kernel, where Triton is missing
            continue
        names |= {name for name, value in vars(module).items()
                  if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__}
    return names


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_a_chapter_defines_only_what_is_listed_as_its_own(chapter: Path):
    defined = definitions(chapter)
    listed = set(CHAPTER_ONLY.get(chapter.stem, {}))
    assert not defined - listed, (
        f"{chapter.name} defines {sorted(defined - listed)}: import it from dsconv_lib if the library has it "
        f"(or should), or list it in CHAPTER_ONLY of {Path(__file__).name} with the reason it is the chapter's own")
    assert not listed - defined, f"CHAPTER_ONLY lists {sorted(listed - defined)} for {chapter.name}, which no longer defines them"


def test_no_chapter_defines_a_name_the_library_exports():
    exported = library_names()
    copies = {f"{stem}: {name}" for stem, names in CHAPTER_ONLY.items() for name in names if name in exported}
    assert not copies, f"chapters define names dsconv_lib exports (import those instead): {sorted(copies)}"


def test_every_listed_chapter_exists_and_gives_reasons():
    stems = {path.stem for path in CHAPTERS}
    assert set(CHAPTER_ONLY) <= stems, sorted(set(CHAPTER_ONLY) - stems)
    assert all(reason.strip() for names in CHAPTER_ONLY.values() for reason in names.values())
