"""Run by KiCad's own Python (``/usr/bin/python3`` with the ``pcbnew`` module), never by the test venv.

    python3 kicad_probe.py footprints LIB.pretty          -> every footprint as pcbnew reads it
    python3 kicad_probe.py board BOARD JOBS.json          -> a board with the footprints placed (and nets), its pads
    python3 kicad_probe.py drc BOARD CLEARANCE_MM         -> KiCad's DRC report of BOARD at that default clearance
    python3 kicad_probe.py vrml FILE.wrl                  -> the model as KiCad's VRML plugin reads it
    python3 kicad_probe.py expand TEXT                    -> TEXT with pcbnew's ${VAR} expansion (the environment's)

Answers are JSON on stdout. Coordinates are millimetres in KiCad's frame (y down) for footprints and boards;
KiCad itself counts nanometres. The VRML plugin's meshes are in millimetres, in the model's frame (y up).
"""

import ctypes
import glob
import json
import os
import re
import sys

import pcbnew

NM = 1e6

def _lib(pattern):
    """A library of Debian's kicad package, for whatever architecture this is."""
    found = sorted(glob.glob(pattern))
    if not found:
        raise SystemExit(f"not found: {pattern}")
    return found[0]


def _xy(p):
    return [p.x / NM, p.y / NM]


def _polygon(pad):
    """The pad's copper/paste outline as KiCad draws it (arcs as segments): its points and area."""
    poly = pad.GetEffectivePolygon()
    pts = []
    for k in range(poly.OutlineCount()):
        line = poly.Outline(k)
        pts.append([[line.CPoint(i).x / NM, line.CPoint(i).y / NM] for i in range(line.PointCount())])
    return pts, poly.Area() / NM**2


def footprint_data(fp):
    pads = []
    for p in fp.Pads():
        outline, area = _polygon(p)
        pads.append({"name": p.GetName(), "pos": _xy(p.GetPosition()), "size": _xy(p.GetSize()),
                     "attr": p.GetAttribute(), "shape": p.GetShape(), "drill": _xy(p.GetDrillSize()),
                     "layers": [pcbnew.LayerName(i) for i in p.GetLayerSet().Seq()], "outline": outline,
                     "area": area})
    lines = {}
    for g in fp.GraphicalItems():
        if g.GetClass() == "MGRAPHIC":
            lines.setdefault(pcbnew.LayerName(g.GetLayer()), []).append(
                {"start": _xy(g.GetStart()), "end": _xy(g.GetEnd()), "width": g.GetWidth() / NM})
    texts = [{"text": t.GetText(), "layer": pcbnew.LayerName(t.GetLayer())} for t in fp.GraphicalItems()
             if t.GetClass() == "MTEXT"]
    texts += [{"text": fp.Reference().GetText(), "layer": pcbnew.LayerName(fp.Reference().GetLayer()),
               "kind": "reference"},
              {"text": fp.Value().GetText(), "layer": pcbnew.LayerName(fp.Value().GetLayer()), "kind": "value"}]
    models = [{"file": m.m_Filename, "shown": bool(m.m_Show), "offset": [m.m_Offset.x, m.m_Offset.y, m.m_Offset.z],
               "scale": [m.m_Scale.x, m.m_Scale.y, m.m_Scale.z],
               "rotation": [m.m_Rotation.x, m.m_Rotation.y, m.m_Rotation.z]} for m in fp.Models()]
    return {"name": fp.GetFPIDAsString(), "pos": _xy(fp.GetPosition()), "orientation": fp.GetOrientationDegrees(),
            "smd": bool(fp.GetAttributes() & pcbnew.FP_SMD), "pads": pads, "lines": lines, "texts": texts,
            "models": models, "descr": fp.GetDescription(), "tags": fp.GetKeywords()}


def footprints(lib):
    names = sorted(f[:-len(".kicad_mod")] for f in os.listdir(lib) if f.endswith(".kicad_mod"))
    return [footprint_data(pcbnew.FootprintLoad(lib, n)) for n in names]


def board(jobs, path):
    """``jobs``: [{"lib": dir, "name": fp, "x": mm, "y": mm, "rot": deg}]; Edge.Cuts around them all. Each pad
    name of each footprint is a net of its own (``U1-A1``...), as on a real board, so DRC checks the clearance
    between neighbouring pads."""
    b = pcbnew.BOARD()
    out = []
    nets = {}
    for i, job in enumerate(jobs):
        fp = pcbnew.FootprintLoad(job["lib"], job["name"])
        fp.SetReference(f"U{i + 1}")
        fp.SetPosition(pcbnew.wxPointMM(job["x"], job["y"]))
        fp.SetOrientationDegrees(job["rot"])
        b.Add(fp)
        for pad in fp.Pads():
            if pad.GetName():
                key = f"U{i + 1}-{pad.GetName()}"
                if key not in nets:
                    nets[key] = pcbnew.NETINFO_ITEM(b, key)
                    b.Add(nets[key])
                pad.SetNet(nets[key])
        out.append(footprint_data(fp))
    xs = [j["x"] for j in jobs]
    ys = [j["y"] for j in jobs]
    x0, x1, y0, y1 = min(xs) - 20, max(xs) + 20, min(ys) - 20, max(ys) + 20
    for a, c in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        s = pcbnew.PCB_SHAPE(b)
        s.SetShape(pcbnew.SHAPE_T_SEGMENT)
        s.SetStart(pcbnew.wxPointMM(*a))
        s.SetEnd(pcbnew.wxPointMM(*c))
        s.SetLayer(pcbnew.Edge_Cuts)
        b.Add(s)
    if not pcbnew.SaveBoard(path, b):
        raise SystemExit(f"SaveBoard failed: {path}")
    return {"thickness": b.GetDesignSettings().GetBoardThickness() / NM, "footprints": out}


def drc(path, clearance):
    """KiCad's DRC (``pcbnew.WriteDRCReport``) of the board at ``path`` with the default net class clearance set
    to ``clearance`` mm (KiCad 6's own default is 0.2 mm); the violations by type."""
    b = pcbnew.LoadBoard(path)
    nc = b.GetNetClasses().GetDefault()
    default = nc.GetClearance() / NM
    nc.SetClearance(pcbnew.FromMM(clearance))
    report = path + f".{clearance:g}.rpt"
    if not pcbnew.WriteDRCReport(b, report, pcbnew.EDA_UNITS_MILLIMETRES, True):
        raise SystemExit("WriteDRCReport failed")
    with open(report) as fh:
        text = fh.read()
    found = re.search(r"Found (\d+) DRC violations", text)
    kinds = {}
    for kind in re.findall(r"^\[(\w+)\]", text, re.M):
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"default_clearance": default, "violations": int(found.group(1)) if found else -1, "kinds": kinds,
            "unconnected": int(re.search(r"Found (\d+) unconnected", text).group(1)), "report": text[:4000]}


class _V3(ctypes.Structure):
    _fields_ = [("x", ctypes.c_float), ("y", ctypes.c_float), ("z", ctypes.c_float)]


class _Mesh(ctypes.Structure):  # SMESH, include/plugins/3dapi/c3dmodel.h
    _fields_ = [("n_vertex", ctypes.c_uint), ("positions", ctypes.POINTER(_V3)), ("normals", ctypes.c_void_p),
                ("texcoords", ctypes.c_void_p), ("colors", ctypes.c_void_p), ("n_index", ctypes.c_uint),
                ("index", ctypes.POINTER(ctypes.c_uint)), ("material", ctypes.c_uint)]


class _Material(ctypes.Structure):  # SMATERIAL
    _fields_ = [("ambient", _V3), ("diffuse", _V3), ("emissive", _V3), ("specular", _V3),
                ("shininess", ctypes.c_float), ("transparency", ctypes.c_float)]


class _Model(ctypes.Structure):  # S3DMODEL
    _fields_ = [("n_meshes", ctypes.c_uint), ("meshes", ctypes.POINTER(_Mesh)), ("n_materials", ctypes.c_uint),
                ("materials", ctypes.POINTER(_Material))]


def vrml(path):
    """The WRL read by KiCad's own VRML plugin (what the 3D viewer shows): every mesh's bounds, triangle count
    and material diffuse colour, as S3D::GetModel flattens the scene (each DEF/USE instance a mesh of its own)."""
    plugin = ctypes.CDLL(_lib("/usr/lib/*/kicad/plugins/3d/libs3d_plugin_vrml.so"))
    sg = ctypes.CDLL(_lib("/usr/lib/*/libkicad_3dsg.so*"))
    plugin.Load.restype = ctypes.c_void_p
    plugin.Load.argtypes = [ctypes.c_char_p]
    get_model = sg._ZN3S3D8GetModelEP10SCENEGRAPH  # S3D::GetModel(SCENEGRAPH*)
    get_model.restype = ctypes.POINTER(_Model)
    get_model.argtypes = [ctypes.c_void_p]
    scene = plugin.Load(path.encode())
    if not scene:
        raise SystemExit(f"KiCad's VRML plugin could not read {path}")
    model = get_model(scene).contents
    meshes = []
    for i in range(model.n_meshes):
        m = model.meshes[i]
        pts = [(m.positions[k].x, m.positions[k].y, m.positions[k].z) for k in range(m.n_vertex)]
        d = model.materials[m.material].diffuse
        meshes.append({"lo": [min(p[j] for p in pts) for j in range(3)],
                       "hi": [max(p[j] for p in pts) for j in range(3)],
                       "triangles": m.n_index // 3, "diffuse": [round(d.x, 3), round(d.y, 3), round(d.z, 3)]})
    return {"meshes": meshes}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "footprints":
        print(json.dumps(footprints(sys.argv[2])))
    elif mode == "board":
        with open(sys.argv[3]) as fh:
            print(json.dumps(board(json.load(fh), sys.argv[2])))
    elif mode == "drc":
        print(json.dumps(drc(sys.argv[2], float(sys.argv[3]))))
    elif mode == "vrml":
        print(json.dumps(vrml(sys.argv[2])))
    elif mode == "expand":
        print(json.dumps(pcbnew.ExpandEnvVarSubstitutions(sys.argv[2], None)))
    else:
        raise SystemExit(f"unknown mode {mode}")
