"""``pkgcad kicad``: a KiCad footprint + 3D model library from the same spec as the CAD model.

:mod:`.land` (land-pattern maths on the Layout) -> :mod:`.footprint` (``.kicad_mod``); :mod:`.model` (the board-level
or full model, built by pkgcad's builders) -> STEP (pkgcad's one STEP writer) and :mod:`.vrml` (WRL);
:mod:`.library` writes the folder.
"""

from .library import Options, plan_kicad, run_kicad, write_library

__all__ = ["Options", "plan_kicad", "run_kicad", "write_library"]
