"""Solvers on the one FEM mesh (:mod:`pkgcad.conformal.meshing`), beside each other: ``conduction`` (steady heat
conduction). They know meshes, parts and faces, never a package: the features (``pkgcad.thermal``) set the
problems up."""
