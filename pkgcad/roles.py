"""What each part is, in the claims' words, and the named sets of roles the features ask about.

A part's ``role`` is a :class:`Role`; it is a ``str`` too, so manifests and comparisons with plain strings
keep working (``Role.HEAT_SINK == "heat_sink"``). Every set of roles that more than one feature needs lives
here, once.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CARRIER = "carrier"  # BGA substrate, or the QFN die pad and leads
    BOND_FINGER = "bond_finger"
    BALL = "ball"
    DIE_ATTACH = "die_attach"
    BUMP = "bump"
    CHIP = "chip"
    WIRE = "wire"
    BUFFER_PAD_ATTACH = "buffer_pad_attach"
    BUFFER_PAD = "buffer_pad"
    ADHESIVE = "adhesive"
    HEAT_SINK = "heat_sink"
    INTERFACE_LAYER = "interface_layer"
    ENCAPSULANT = "encapsulant"


#: Roles the mold does not hold: below the carrier, on or above the first surface, or the mold itself
#: (a BGA substrate is under the mold too; a QFN lead frame is held, see ``geometry.encapsulant.held_parts``).
OUTSIDE_MOLD = frozenset({Role.BALL, Role.INTERFACE_LAYER, Role.HEAT_SINK, Role.ENCAPSULANT})

#: Parts the encapsulant must hide (claims 1 / 12: "encapsulating the chip" and what hangs on it).
HIDDEN = frozenset({Role.CHIP, Role.WIRE, Role.BUMP, Role.BUFFER_PAD, Role.BUFFER_PAD_ATTACH, Role.DIE_ATTACH,
                    Role.ADHESIVE})

#: Parts every exported model has; a reader refuses a manifest without them.
REQUIRED = (Role.HEAT_SINK, Role.INTERFACE_LAYER, Role.ENCAPSULANT, Role.CHIP, Role.CARRIER)

#: The order a person puts a package's pieces together (print kits): bottom up, the mold after what it holds,
#: then the heat sink and its interface layer.
ASSEMBLY_ORDER: tuple[Role, ...] = (
    Role.BALL, Role.CARRIER, Role.BOND_FINGER, Role.BUMP, Role.DIE_ATTACH, Role.CHIP, Role.WIRE,
    Role.BUFFER_PAD_ATTACH, Role.BUFFER_PAD, Role.ADHESIVE, Role.ENCAPSULANT, Role.HEAT_SINK, Role.INTERFACE_LAYER,
)
