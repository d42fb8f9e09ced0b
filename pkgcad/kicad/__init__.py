"""``pkgcad kicad``: a KiCad footprint + 3D model library from the same spec as the CAD model.

:mod:`.land` (land-pattern maths) -> :mod:`.footprint` (``.kicad_mod``), the built Package -> STEP (pkgcad's
exporter) and :mod:`.vrml` (WRL); :mod:`.library` writes the folder. Everything read from the rest of pkgcad
goes through :mod:`.source`.
"""

from .library import Options, write_library

__all__ = ["Options", "write_library"]
