"""pkgcad: exact, parametric CAD models of the exposed-heat-sink package of US 6,844,622 B2 (millimetres)."""

__version__ = "0.1.0"
