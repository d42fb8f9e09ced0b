"""``pkgcad warp``: warpage and stress from the CTE mismatch of the parts, by linear thermo-elasticity on the one
FEM mesh (:mod:`pkgcad.conformal`): ``model`` (each part's elastic constants and thermal strain at a temperature),
``run`` (mesh, solve every temperature, the figures), ``output`` (warp.json, warp.vtu, the deformed picture).
Millimetres, degC, MPa, micrometres for warpage."""
