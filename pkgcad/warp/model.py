"""The package as a thermo-elastic problem: the FEM model of the real parts (:mod:`pkgcad.conformal.fem`, the one
geometry pipeline) with each part's elastic constants and free thermal strain at a temperature. No shapes are made
here. Lengths mm, moduli MPa, temperatures degC.

What each part is made of, mechanically:

- every part its material's constants (:data:`pkgcad.materials.MECHANICS`): the mold compound and the BT laminate
  change modulus and CTE at their glass transition; a BGA substrate is the BT laminate (orthotropic: in-plane vs
  through-thickness); the thin bond lines (die attach, buffer-pad attach, adhesive) are meshed two elements
  through their thickness by the pipeline, so their shear compliance is the mesh's, not a guess.
- the bump block (bumps in mold) and the ball block (balls in air): homogenised by the solder's volume fraction f
  (the truncated spheres over the block) as an array of separate columns along z, transversely isotropic
  (:meth:`PartMaterial.constants` derives every constant): the bump block by the rule of mixtures of solder and
  mold (Voigt along the columns, Halpin-Tsai across, Schapery's thermal strains); the ball block (air between the balls)
  carries f E_solder along the columns and next to nothing across them (1 % of that, no Poisson coupling), so it
  adds no bending stiffness to the substrate, and its thermal strain is the solder's. The board side of a BGA is
  read at the ball sites (:mod:`pkgcad.warp.run`), not over the block's whole bottom face.
- left out: bonding wires and bond fingers (the pipeline's default: mold in their place), and the interface layer
  on the heat sink's second surface (2-10 um of gold, nickel, chromium or PTFE on a 0.2-0.5 mm plate: at most
  (10 / 200) x (E_layer / E_plate) of the plate's membrane stiffness, under 0.7 % for gold on copper, and its
  micrometre-thin elements stop the iterative solver from converging: measured 300 CG iterations for a residual
  of 1e-3 with it, 61 for 1e-8 without, flipchip-bga --mesh normal).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from pkgcad.conformal.fem import LEFT_OUT, ArrayBlock, FemModel, FemOptions, fem_model
from pkgcad.conformal.femmesh import FemMesh
from pkgcad.layout import Layout
from pkgcad.materials import MECHANICS, elastic_at, thermal_strain
from pkgcad.roles import Role
from pkgcad.solvers.elasticity import Orthotropic
from pkgcad.solvers.lamination import Lamination, Layer, laminate

GPA = 1000.0  # MPa
LEFT_OUT_MECHANICS: frozenset[str] = LEFT_OUT | {Role.INTERFACE_LAYER}
"""Roles the mechanical model leaves out (see the module doc)."""
BALL_ACROSS = 0.01
"""The ball block's in-plane modulus as a fraction of its through-height one (separate columns in air: zero in the
limit; see :meth:`PartMaterial.constants`)."""


@dataclass(frozen=True)
class PartMaterial:
    """A part's material, or the homogenised solder block: ``fraction`` of solder in a ``matrix`` (None: air)."""

    name: str
    material: str
    fraction: float = 1.0
    matrix: str | None = None

    @property
    def label(self) -> str:
        if self.fraction >= 1.0:
            return self.material
        what = f"in {self.matrix}" if self.matrix else "in air"
        return f"{self.material} {self.fraction:.0%} {what}, homogenised"

    def materials(self) -> tuple[str, ...]:
        return (self.material,) if self.matrix is None else (self.material, self.matrix)

    def constants(self, temperature_c: float) -> Orthotropic:
        """The elastic constants at ``temperature_c`` (MPa): the material's, or those of a block of solder columns.

        A block stands for identical columns along z (the bumps or balls, truncated spheres), solder volume fraction
        f = n V_site / V_block (:func:`solder_fraction`), E_s, G_s, nu_s the solder's, E_m, G_m, nu_m the matrix's.
        The arithmetic is that of a unidirectional composite with the columns as the fibres (R. M. Jones, Mechanics
        of Composite Materials, 2nd ed., 1999, chapter 3: the rule of mixtures along the fibres, Halpin-Tsai
        across them; J. C. Halpin and J. L. Kardos, Polym. Eng. Sci. 16 (1976) 344) and Schapery's thermal strains
        (:meth:`strain`; R. A. Schapery, J. Composite Materials 2 (1968) 380):

        - bump block (columns in mold): E_z = f E_s + (1 - f) E_m (columns and matrix stretched alike along z:
          Voigt, exact for prismatic columns); across, :func:`halpin_tsai` with xi = 2 for E_x = E_y (circular
          fibres in a square array) and xi = 1 for G_xz = G_yz (Jones, section 3.5); nu_xy = f nu_s + (1 - f) nu_m,
          nu_zx the same, so nu_xz = nu_zx E_x / E_z. The mold is continuous between the bumps, so the block carries
          load across them. Halpin-Tsai lies between Reuss's series bound (1 / (f / E_s + (1 - f) / E_m), what
          this block used before: it assumes the columns as thick as the cell) and Voigt's; against every bump in
          full detail it measured closer than Reuss on flipchip-bga (``bench/warp_arrays.py`` coarse, board
          warpage +2.7 / +3.3 % at 25 / 260 degC against Reuss's +3.3 / +4.3 %).
        - ball block (columns in air, E_m = 0): E_z = f E_s (only the solder carries load along the columns);
          across them the Reuss bound is 0: separate balls in air are joined by nothing, so no in-plane normal or
          shear stress passes from one to the next. E_x = E_y = :data:`BALL_ACROSS` E_z (1 %: enough to keep every
          element's stiffness positive definite; 0.1 % moved flipchip-bga's coarse board warpage 0.6 % and changed
          no CG iteration count, 54 and 68 at 25 and 260 degC), nu_xy = nu_xz = 0 (no lateral coupling between
          separate columns), G_xy = E_x / 2 (about 0 likewise). G_xz = G_yz = f G_s, the columns' shear areas in
          parallel: the balls stand free under the substrate (the board side is not held), so nothing loads them
          in transverse shear and it hardly matters (a tenth of it moved no figure by more than 0.02 %, measured
          on flipchip-bga coarse); so does E_z (0.3 f E_s moved the warpage 0.4 %). Such a layer adds no
          membrane or bending stiffness to the substrate above it: the balls' own local restraint of the
          substrate at their pads is what it leaves out (``bench/warp_arrays.py``: blocks within 3 % of every
          ball in full detail).
        """
        s = elastic_at(self.material, temperature_c)
        if self.fraction >= 1.0:
            return Orthotropic.transversely_isotropic(s.e_gpa * GPA, s.nu, s.e_z_gpa * GPA, s.nu_z, s.g_z_gpa * GPA,
                                                      self.label)
        f = self.fraction
        if self.matrix is None:
            e_z = f * s.e_gpa * GPA
            return Orthotropic.transversely_isotropic(BALL_ACROSS * e_z, 0.0, e_z, 0.0, f * s.g_gpa * GPA,
                                                      self.label)
        m = elastic_at(self.matrix, temperature_c)
        e_z = (f * s.e_gpa + (1 - f) * m.e_gpa) * GPA
        e_x = halpin_tsai(m.e_gpa, s.e_gpa, f, 2.0) * GPA
        g = halpin_tsai(m.g_gpa, s.g_gpa, f, 1.0) * GPA
        nu = f * s.nu + (1 - f) * m.nu
        return Orthotropic.transversely_isotropic(e_x, nu, e_z, nu * e_x / e_z if e_z > e_x else nu, g, self.label)

    def strain(self, from_c: float, to_c: float) -> tuple[float, float, float]:
        """Free thermal strain (x, y, z) from ``from_c`` to ``to_c``: the material's; for a block of columns in air
        (the ball block) the solder's; for columns in a matrix (the bump block) Schapery's rule of mixtures of
        the two free strains with the moduli at ``to_c`` (see :meth:`constants` for the sources):

            eps_z = (f E_s eps_s + (1 - f) E_m eps_m) / (f E_s + (1 - f) E_m)      (the columns and the matrix
                                                                                    stretched alike along z)
            eps_x = (1 + nu_s) f eps_s + (1 + nu_m) (1 - f) eps_m - nu_zx eps_z,  nu_zx = f nu_s + (1 - f) nu_m

        (eps_* the in-plane free strain of each; the solder is isotropic.) The strains, not the CTEs, are mixed:
        the mold's CTE steps at its glass transition and the model is secant (the total strain from the
        stress-free state with the moduli at ``to_c``)."""
        solder = thermal_strain(self.material, from_c, to_c)
        if self.matrix is None:
            return solder
        f = self.fraction
        s, m = elastic_at(self.material, to_c), elastic_at(self.matrix, to_c)
        matrix = thermal_strain(self.matrix, from_c, to_c)
        ez_s, ez_m = f * s.e_z_gpa, (1 - f) * m.e_z_gpa
        z = (ez_s * solder[2] + ez_m * matrix[2]) / (ez_s + ez_m)
        nu_zx = f * s.nu_z + (1 - f) * m.nu_z
        x = (1 + s.nu) * f * solder[0] + (1 + m.nu) * (1 - f) * matrix[0] - nu_zx * z
        y = (1 + s.nu) * f * solder[1] + (1 + m.nu) * (1 - f) * matrix[1] - nu_zx * z
        return x, y, z

    def glassy(self, temperature_c: float) -> tuple[bool, ...]:
        """Whether each material it holds is below its glass transition (what decides the stiffness)."""
        out = []
        for name in self.materials():
            g = MECHANICS[name].glass
            out.append(g is None or g.e_gpa is None or temperature_c < g.tg_c)
        return tuple(out)


@dataclass(frozen=True, eq=False)
class WarpModel:
    """The FEM model and each part's material."""

    fem: FemModel
    parts: dict[str, PartMaterial]
    notes: tuple[str, ...]
    full_layers: tuple[tuple[str, float], ...] = ()
    """The parts that span the whole footprint, bottom first, with their thickness (mm): carrier, mold up to the
    heat sink, heat sink. Empty for a QFN (its lead frame is a die pad and leads, not a layer)."""

    @property
    def name(self) -> str:
        return self.fem.name

    def stiffness(self, mesh: FemMesh, temperature_c: float) -> np.ndarray:
        """(9, n_elements) orthotropic constants (MPa) of every element at ``temperature_c``."""
        return mesh.per_element([self.parts[n].constants(temperature_c).voigt9() for n in mesh.part_names])

    def strain(self, mesh: FemMesh, stress_free_c: float, temperature_c: float) -> np.ndarray:
        """(3, n_elements) free thermal strain of every element from the stress-free state."""
        return mesh.per_element([self.parts[n].strain(stress_free_c, temperature_c) for n in mesh.part_names])

    def lamination(self, stress_free_c: float, temperature_c: float) -> Lamination | None:
        """Classical lamination theory of :attr:`full_layers` at ``temperature_c`` (their in-plane biaxial moduli
        and in-plane thermal strains): what the FEM's warpage is set beside. The chip, the bumps and the balls
        are not in it. None without full layers."""
        if not self.full_layers:
            return None
        layers = []
        for name, thickness in self.full_layers:
            part = self.parts[name]
            layers.append(Layer(thickness, part.constants(temperature_c).biaxial_modulus(),
                                part.strain(stress_free_c, temperature_c)[0], name))
        return laminate(layers)

    def board_sites(self) -> np.ndarray | None:
        """(n, 2) the ball sites' x, y (mm): where the board side's warpage is read (the ball tips; see
        :mod:`pkgcad.warp.run`). None without balls (a QFN, an LGA: the whole bottom face is the board side)."""
        balls = self.fem.layout.balls
        if balls is None or balls.grid is None or not balls.realised:
            return None
        return np.asarray(balls.points, dtype=float)

    def regime(self, temperature_c: float) -> tuple[tuple[bool, ...], ...]:
        """What fixes the stiffness at ``temperature_c``: which materials are below their glass transition."""
        return tuple(self.parts[n].glassy(temperature_c) for n in sorted(self.parts))


def build_model(lay: Layout, progress: Callable[[str], None] | None = None, arrays: str = "blocks") -> WarpModel:
    """The mechanical model of ``lay`` (see the module doc); ``arrays="full"``: every bump and ball its CAD solid
    instead of a homogenised block (``bench/warp_arrays.py`` measures what the blocks change)."""
    fem = fem_model(lay, FemOptions(leave_out=LEFT_OUT_MECHANICS, arrays=arrays), progress=progress)
    parts: dict[str, PartMaterial] = {}
    notes = list(fem.notes)
    for part in fem.parts:
        if part.block is not None:
            f = solder_fraction(part.block)
            matrix = None if part.block.matrix == "air" else part.block.matrix
            parts[part.name] = PartMaterial(part.name, "solder", f, matrix)
            notes.append(f"{part.name.replace('_', ' ')}: {parts[part.name].label} ({part.block.sites.realised} "
                         "sites)")
        elif part.role == Role.CARRIER and not lay.qfn:
            parts[part.name] = PartMaterial(part.name, "bt-laminate")
        else:
            parts[part.name] = PartMaterial(part.name, part.material)
    for part in fem.thin_parts():
        assert part.thickness_mm is not None
        notes.append(f"{part.name.replace('_', ' ')} {part.thickness_mm * 1000:g} um {part.material}, meshed "
                     "through its thickness")
    notes.append("left out: the interface layer on the heat sink's second surface (micrometres thick; see "
                 "pkgcad/warp/model.py)")
    model = WarpModel(fem, parts, tuple(notes), full_layers(lay, parts))
    sites = model.board_sites()
    if sites is not None:
        model = replace(model, notes=(*model.notes, f"board side read at the {len(sites)} ball sites (the ball "
                                      "tips), not over the whole bottom face"))
    return model


def full_layers(lay: Layout, parts: dict[str, PartMaterial]) -> tuple[tuple[str, float], ...]:
    """(part, thickness) of the layers spanning the footprint, bottom first (see :attr:`WarpModel.full_layers`)."""
    st = lay.stack
    layers = (("carrier", st.carrier_top), ("encapsulant", st.first_surface - st.carrier_top),
              ("heat_sink", st.second_surface - st.first_surface))
    if lay.qfn or any(name not in parts or t <= 0.0 for name, t in layers):
        return ()
    return layers


def halpin_tsai(matrix: float, fibre: float, f: float, xi: float) -> float:
    """Halpin-Tsai's transverse modulus of fibres (modulus ``fibre``, volume fraction ``f``) in ``matrix``:
    M = M_m (1 + xi eta f) / (1 - eta f), eta = (M_f / M_m - 1) / (M_f / M_m + xi) (Jones, Mechanics of Composite
    Materials, 2nd ed., section 3.5); the same units as its moduli. f = 0 gives the matrix, f = 1 the fibre."""
    ratio = fibre / matrix
    eta = (ratio - 1.0) / (ratio + xi)
    return matrix * (1.0 + xi * eta * f) / (1.0 - eta * f)


def solder_fraction(block: ArrayBlock) -> float:
    """Volume fraction of solder in an array block: the truncated spheres over the block's volume."""
    s = block.sphere
    r2 = (s.diameter / 2) ** 2

    def prim(z: float) -> float:
        return r2 * z - (z - s.centre) ** 3 / 3.0

    one = math.pi * (prim(s.top) - prim(s.bottom))
    return min(1.0, block.sites.realised * one / block.volume_mm3)
