"""`pkgcad thermal`: steady conduction in the package by finite elements (gmsh mesh, scikit-fem, pyamg).

Modules, one job each: ``conductivity`` (material -> k), ``mesh`` (gmsh/arrays -> ThermalMesh), ``meshing``
(gmsh presets, physical groups), ``faces`` (faces by part + side), ``contact`` (thin layers as exact interface
resistances), ``problem`` (sources and boundary conditions), ``solve`` (assembly, AMG-CG, results), ``jedec``
(theta-JC, theta-JB, dual plate, theta-JA estimate, JESD15-3 compact model), ``homogenize`` (arrays ->
orthotropic blocks), ``board`` (JESD51-7-like board block), ``section`` and ``output`` (PNG, VTU, JSON).
Units: mm, W, degC, K/W; conductivities in W/(m K).
"""
