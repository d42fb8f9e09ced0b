"""Solvers on the one FEM mesh (:mod:`pkgcad.conformal.meshing`), beside each other: ``conduction`` (steady heat
conduction), ``elasticity`` (linear thermo-elasticity, the body free) and ``lamination`` (classical lamination
theory, the closed form the elasticity of full-footprint layers is checked against). They know meshes, parts and
faces, never a package: the features (``pkgcad.thermal``, ``pkgcad.warp``) set the problems up."""
