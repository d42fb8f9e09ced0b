"""Run by KiCad's own Python (``/usr/bin/python3`` with the ``pcbnew`` module), never by the test venv.

    python3 kicad_probe.py footprints LIB.pretty            -> JSON on stdout: every footprint as pcbnew reads it
    python3 kicad_probe.py board LIB.pretty BOARD JOBS.json -> a board with the footprints placed; JSON of its pads

Coordinates in the JSON are millimetres in KiCad's frame (y down); KiCad itself counts nanometres.
"""

import json
import os
import sys

import pcbnew

NM = 1e6


def _xy(p):
    return [p.x / NM, p.y / NM]


def footprint_data(fp):
    pads = []
    for p in fp.Pads():
        pads.append({"name": p.GetName(), "pos": _xy(p.GetPosition()), "size": _xy(p.GetSize()),
                     "attr": p.GetAttribute(), "shape": p.GetShape(), "drill": _xy(p.GetDrillSize()),
                     "layers": [pcbnew.LayerName(i) for i in p.GetLayerSet().Seq()]})
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
    models = [{"file": m.m_Filename, "offset": [m.m_Offset.x, m.m_Offset.y, m.m_Offset.z],
               "scale": [m.m_Scale.x, m.m_Scale.y, m.m_Scale.z],
               "rotation": [m.m_Rotation.x, m.m_Rotation.y, m.m_Rotation.z]} for m in fp.Models()]
    return {"name": fp.GetFPIDAsString(), "pos": _xy(fp.GetPosition()), "orientation": fp.GetOrientationDegrees(),
            "smd": bool(fp.GetAttributes() & pcbnew.FP_SMD), "pads": pads, "lines": lines, "texts": texts,
            "models": models, "descr": fp.GetDescription(), "tags": fp.GetKeywords()}


def footprints(lib):
    names = sorted(f[:-len(".kicad_mod")] for f in os.listdir(lib) if f.endswith(".kicad_mod"))
    return [footprint_data(pcbnew.FootprintLoad(lib, n)) for n in names]


def board(jobs, path):
    """``jobs``: [{"lib": dir, "name": fp, "x": mm, "y": mm, "rot": deg}]; Edge.Cuts around them all."""
    b = pcbnew.BOARD()
    out = []
    for i, job in enumerate(jobs):
        fp = pcbnew.FootprintLoad(job["lib"], job["name"])
        fp.SetReference(f"U{i + 1}")
        fp.SetPosition(pcbnew.wxPointMM(job["x"], job["y"]))
        fp.SetOrientationDegrees(job["rot"])
        b.Add(fp)
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


if __name__ == "__main__":
    if sys.argv[1] == "footprints":
        print(json.dumps(footprints(sys.argv[2])))
    elif sys.argv[1] == "board":
        with open(sys.argv[3]) as fh:
            print(json.dumps(board(json.load(fh), sys.argv[2])))
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]}")
