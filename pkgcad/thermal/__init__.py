"""`pkgcad thermal`: steady conduction in the package by finite elements, set up on the one FEM pipeline.

The geometry and the mesh come from :mod:`pkgcad.conformal` (the conformal model of the real parts, arrays as
homogenised blocks, thin layers meshed through their thickness); the solver is
:mod:`pkgcad.solvers.conduction` (scikit-fem P1, pyamg). This package sets the problem up and reports it:
``model`` (a conductivity per part, the faces of the metrics), ``conductivity`` (material -> k),
``homogenize`` (arrays and laminates -> orthotropic k), ``board`` (JESD51-7-like board block), ``jedec``
(theta-JC, theta-JB, dual plate, theta-JA estimate, JESD15-3 compact model), ``run`` (one package), ``compare``
(with and without the heat sink), ``inputs`` (template or output folder), ``section`` and ``output`` (PNG, VTU,
JSON). Units: mm, W, degC, K/W; conductivities in W/(m K).
"""
