"""Thin layers as exact interface resistances: split the nodes of a shared face and couple the two sides.

A die attach, an adhesive or a plating 1-50 um thick is too thin to mesh beside a 10 mm package. Instead the
geometry leaves it out (the parts on either side share a face) and a ``Contact`` carries its area-specific
resistance R'' = t / k. ``split`` gives the nodes of the shared face a copy for the elements of part group
``b``; ``coupling_matrix`` then adds the interface conductance (1 / R'') * integral of (u_a - u_b)(v_a - v_b)
over the face, with the face mass matrix assembled by scikit-fem's FacetBasis. For a uniform jump this is
exactly q = (T_a - T_b) / R'': a layer's 1-D resistance t / (k A) is reproduced to solver precision.

Where part ``b`` also touches a third part on the rim of the face, that third part stays joined to side ``a``
at the rim nodes only (a local effect, stated here). Two contacts may not share nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from skfem import BilinearForm, ElementTetP1, FacetBasis, MeshTet

from pkgcad.thermal.faces import interface, match_parts
from pkgcad.thermal.mesh import ThermalMesh


@dataclass(frozen=True)
class Contact:
    """An interface resistance between part groups ``a`` and ``b`` (names or patterns): R'' in mm2 K/W."""

    a: tuple[str, ...] | str
    b: tuple[str, ...] | str
    resistance_mm2k_w: float
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("a", "b"):
            if isinstance(getattr(self, name), str):
                object.__setattr__(self, name, (getattr(self, name),))
        if not self.resistance_mm2k_w > 0.0:
            raise ValueError(f"contact {self.describe()}: resistance {self.resistance_mm2k_w!r} mm2 K/W must be > 0")

    @classmethod
    def thin_layer(
        cls,
        a: tuple[str, ...] | str,
        b: tuple[str, ...] | str,
        thickness_mm: float,
        k_w_mk: float,
        *,
        label: str = "",
        absorbed_k_w_mk: float | None = None,
    ) -> Contact:
        """A layer of thickness t (mm) and conductivity k (W/m K): R'' = t / k.

        If the geometry kept the layer's thickness by growing a neighbour of conductivity ``absorbed_k_w_mk``
        instead of leaving a gap, that neighbour's share t / k_n is taken off, so the stack stays exact.
        """
        r = layer_resistance_mm2k_w(thickness_mm, k_w_mk)
        if absorbed_k_w_mk is not None:
            r -= layer_resistance_mm2k_w(thickness_mm, absorbed_k_w_mk)
        return cls(a, b, r, label or f"{thickness_mm * 1000:g} um layer, k = {k_w_mk:g} W/m K")

    @property
    def h_w_mm2k(self) -> float:
        return 1.0 / self.resistance_mm2k_w

    def describe(self) -> str:
        a = ",".join(self.a) if isinstance(self.a, tuple) else self.a
        b = ",".join(self.b) if isinstance(self.b, tuple) else self.b
        return f"{self.label or 'contact'} between {a} and {b}"


def layer_resistance_mm2k_w(thickness_mm: float, k_w_mk: float) -> float:
    """Area-specific resistance t / k of a layer in mm2 K/W (t in mm, k in W/m K = 1e-3 W/mm K)."""
    if not thickness_mm > 0.0 or not k_w_mk > 0.0:
        raise ValueError(f"layer thickness {thickness_mm!r} mm and conductivity {k_w_mk!r} W/m K must be > 0")
    return thickness_mm / (k_w_mk * 1e-3)


@dataclass(frozen=True)
class SplitFace:
    """One split interface: the a-side facet node triples and the node pairs (a-side node, its b-side copy)."""

    contact: Contact
    triples: np.ndarray  # (3, m) node indices of the a-side facets
    original: np.ndarray  # (k,) a-side nodes
    copy: np.ndarray  # (k,) their copies used by the b side
    area_mm2: float


def split(tm: ThermalMesh, contacts: tuple[Contact, ...]) -> tuple[ThermalMesh, tuple[SplitFace, ...]]:
    """A mesh where every contact's face has separate nodes on each side, and the split faces."""
    faces: list[SplitFace] = []
    used: set[int] = set()
    for contact in contacts:
        a = contact.a if isinstance(contact.a, tuple) else (contact.a,)
        b = contact.b if isinstance(contact.b, tuple) else (contact.b,)
        facets, _ = interface(tm, a, b)
        if facets.size == 0:
            raise ValueError(f"{contact.describe()}: the parts share no mesh face (not touching, or not conformal)")
        triples = np.sort(tm.mesh.facets[:, facets], axis=0)
        nodes = np.unique(triples)
        if used & set(nodes.tolist()):
            raise ValueError(f"{contact.describe()}: shares nodes with another contact, which is not supported")
        used |= set(nodes.tolist())
        n = tm.n_nodes
        copy_of = np.full(n, -1, dtype=np.int64)
        copy_of[nodes] = n + np.arange(nodes.size)
        t = tm.mesh.t.astype(np.int64).copy()
        b_elements = np.isin(tm.part_of_element, match_parts(tm, b))
        tb = t[:, b_elements]
        t[:, b_elements] = np.where(copy_of[tb] >= 0, copy_of[tb], tb)
        p = np.hstack([tm.mesh.p, tm.mesh.p[:, nodes]])
        origin = np.concatenate([tm.node_origin, tm.node_origin[nodes]])
        mesh = MeshTet(p, t)
        exterior = _exterior(mesh, origin, tm)
        area = float(_triangle_areas(p, triples).sum())
        tm = ThermalMesh(mesh, tm.part_of_element, tm.parts, origin, exterior)
        faces.append(SplitFace(contact, triples, nodes, copy_of[nodes], area))
    return tm, tuple(faces)


def coupling_matrix(tm: ThermalMesh, face: SplitFace) -> sp.csr_matrix:
    """(1/R'') J^T M J: M the face mass matrix (FacetBasis), J u = u_a - u_b at the face nodes."""
    facets = find_facets(tm.mesh, face.triples)
    basis = FacetBasis(tm.mesh, ElementTetP1(), facets=facets, intorder=2)
    mass = _mass.assemble(basis)
    n = tm.n_nodes
    k = face.original.size
    rows = np.concatenate([face.original, face.original])
    cols = np.concatenate([face.original, face.copy])
    jump = sp.csr_matrix((np.concatenate([np.ones(k), -np.ones(k)]), (rows, cols)), shape=(n, n))
    return (face.contact.h_w_mm2k * (jump.T @ mass @ jump)).tocsr()


@BilinearForm
def _mass(u, v, _):
    return u * v


def find_facets(mesh: MeshTet, triples: np.ndarray) -> np.ndarray:
    """Indices of the mesh facets with the given node triples (3, m); every triple must exist."""
    keys = _keys(mesh.facets)
    wanted = _keys(triples)
    order = np.argsort(keys)
    pos = np.searchsorted(keys, wanted, sorter=order)
    found = order[np.minimum(pos, keys.size - 1)]
    if not np.array_equal(keys[found], wanted):
        raise RuntimeError("split face lost: a facet of the interface is missing from the split mesh")
    return found


_KEY = np.dtype([("a", np.int64), ("b", np.int64), ("c", np.int64)])


def _keys(triples: np.ndarray) -> np.ndarray:
    """One sortable record per sorted node triple (no overflow, unlike packing three indices into one int)."""
    out = np.empty(triples.shape[1], dtype=_KEY)
    out["a"], out["b"], out["c"] = (np.sort(triples, axis=0).astype(np.int64))
    return out


def _triangle_areas(p: np.ndarray, tri: np.ndarray) -> np.ndarray:
    return 0.5 * np.linalg.norm(np.cross(p[:, tri[1]] - p[:, tri[0]], p[:, tri[2]] - p[:, tri[0]], axis=0), axis=0)


def _exterior(mesh: MeshTet, origin: np.ndarray, before: ThermalMesh) -> np.ndarray:
    """Boundary facets of the split mesh that were on the outside before splitting (by original nodes)."""
    boundary = mesh.f2t[1] == -1
    old_keys = _keys(before.node_origin[before.mesh.facets[:, before.exterior]])
    new_keys = _keys(origin[mesh.facets[:, boundary]])
    out = np.zeros(mesh.facets.shape[1], dtype=bool)
    out[np.flatnonzero(boundary)] = np.isin(new_keys, old_keys)
    return out
