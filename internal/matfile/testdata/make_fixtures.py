#!/usr/bin/env python3
"""Writes the MAT-file fixtures of internal/matfile and their expected values.

Run from the repository root, after the Go-written files exist:

    go test ./internal/matfile -run TestGoWrittenFiles -update   # writes testdata/go_written_*.mat
    PY=$(tools/golden-venv.sh) && "$PY" internal/matfile/testdata/make_fixtures.py

It writes, next to itself:

* <set>_le.mat, <set>_le_z.mat: scipy.io.savemat output (little-endian,
  uncompressed and do_compression=True) for each fixture set below;
* <set>_be.mat, <set>_be_z.mat: the same files converted to big-endian by
  swap_to_big_endian below (scipy cannot write big-endian); every converted
  file is checked by reading it back with scipy.io.loadmat;
* expected.json: the expected content of every file, derived from the
  Python data given to savemat (not from a reader), plus the expected content
  of the Go-written files go_written_le.mat (uncompressed, little-endian) and
  go_written_be_z.mat (compressed, big-endian), which this script reads with
  scipy.io.loadmat and compares to the same expectations; their SHA-256 is
  recorded so that the Go test knows scipy checked exactly those bytes.

Node format in expected.json (MATLAB dims, data in column-major order):
  numeric/logical: {"class", "dims", "logical", "data": [numbers or "NaN"/"Inf"/"-Inf"]}
  char:            {"class": "char", "dims", "text"}  (rows joined by "\\n")
  cell:            {"class": "cell", "dims", "elems": [node, ...]}
  struct:          {"class": "struct", "dims", "fields", "selems": [[node per field], ...]}
Top-level nodes also have "name". "empty_element": true marks an empty
miMATRIX element (written by the Go writer for a nil cell element), which
MATLAB and this package read as a 0x0 double and scipy as a 1x0 double.
"""
import hashlib
import io
import json
import math
import os
import struct
import zlib

import numpy as np
import scipy
import scipy.io as sio

HERE = os.path.dirname(os.path.abspath(__file__))
# savemat writes the creation time into the header; a fixed text keeps the
# fixtures reproducible.
HEADER_TEXT = b"MATLAB 5.0 MAT-file Platform: posix, Created by: internal/matfile/testdata/make_fixtures.py"

CLASS_OF_DTYPE = {
    "float64": "double", "float32": "single",
    "int8": "int8", "uint8": "uint8", "int16": "int16", "uint16": "uint16",
    "int32": "int32", "uint32": "uint32", "int64": "int64", "uint64": "uint64",
    "bool": "uint8",
}


def cell(shape, items):
    """An object array (a MATLAB cell) of the given shape, items in column-major order."""
    a = np.empty(shape, dtype=object)
    flat = list(items)
    assert len(flat) == math.prod(shape)
    for k, v in enumerate(flat):
        a[np.unravel_index(k, shape, order="F")] = v
    return a


def struct_array(shape, fields, elems):
    """A structured array (a MATLAB struct array); elems in column-major order."""
    a = np.empty(shape, dtype=[(f, object) for f in fields])
    for k, el in enumerate(elems):
        idx = np.unravel_index(k, shape, order="F")
        for f, v in zip(fields, el):
            a[idx][f] = v
    return a


# ---------------------------------------------------------------- fixture data

def basic_vars():
    f64 = np.array([[1.5, np.nan, -np.inf], [-0.0, np.pi, np.inf]])
    return {
        "f64": f64,
        "f32": np.array([[1.25, -2.5], [3.0e-7, 65504.0]], dtype=np.float32),
        "i8": np.array([[-128, 127], [0, -1]], dtype=np.int8),
        "u8": np.array([[0, 255, 7]], dtype=np.uint8),          # 3 bytes: small element
        "i16": np.array([[-32768, 32767]], dtype=np.int16),     # 4 bytes: small element
        "u16": np.array([[0, 65535, 1000]], dtype=np.uint16),
        "i32": np.array([[-2**31, 2**31 - 1, 5]], dtype=np.int32),
        "u32": np.array([[0, 2**32 - 1]], dtype=np.uint32),
        "i64": np.array([[-2**63, 2**63 - 1, 42]], dtype=np.int64),
        "u64": np.array([[0, 2**64 - 1, 42]], dtype=np.uint64),
        "scalar": np.array([[7.0]]),
        "nd": np.arange(24, dtype=np.float32).reshape((2, 3, 4), order="F") * 0.5,
        "ascii": "hello world",
        "unicode": "h\u00e9llo w\u00f6rld \u2211 \u65e5\u672c",
        "emoji": "smile \U0001F600!",
        "charmat": np.array(["abc", "def"]),
        "mask": np.array([[True, False, True], [False, False, True]]),
        "empty_d": np.zeros((0, 0)),
        "empty_03": np.zeros((0, 3)),
        "empty_str": "",
        "empty_cell": np.empty((0, 0), dtype=object),
        "empty_struct": {},
        "empty_sarr": np.zeros((0, 0), dtype=[("a", object), ("b", object)]),
    }


def nested_vars():
    inner = cell((1, 2), [np.array([[1.0, 2.0]], dtype=np.float32), "x"])
    return {
        "c": cell((2, 2), [np.array([[1.0]]), "two", np.array([[3, 4]], dtype=np.int8), inner]),
        "c_empties": cell((1, 3), [np.zeros((0, 0)), "", np.empty((0, 0), dtype=object)]),
        "s": {
            "a": np.array([[1.0, 2.0, 3.0]]),
            "b": "text",
            "inner": {"x": np.array([[10], [20]], dtype=np.int32), "deep": {"y": "z"}},
        },
        "sarr": struct_array((1, 2), ["name", "value"], [
            ["first", np.array([[1.0]])],
            ["second", cell((1, 1), [np.array([[2, 3]], dtype=np.uint16)])],
        ]),
        "sarr22": struct_array((2, 2), ["v"], [
            [np.array([[11.0]])], [np.array([[21.0]])], [np.array([[12.0]])], [np.array([[22.0]])],
        ]),
    }


def matconvnet_vars():
    """The shape of imagenet-vgg-verydeep-19.mat (new layout), tiny."""
    rng = np.random.default_rng(7)

    def layer(name, typ, kshape, bshape):
        k = rng.standard_normal(kshape).astype(np.float32)
        b = rng.standard_normal(bshape).astype(np.float32)
        return {"name": name, "type": typ, "weights": cell((1, 2), [k, b])}

    relu = {"name": "relu1_1", "type": "relu",
            "weights": cell((1, 2), [np.zeros((0, 0), dtype=np.float32), np.zeros((0, 0), dtype=np.float32)])}
    layers = cell((1, 3), [layer("conv1_1", "conv", (3, 3, 2, 4), (4, 1)), relu,
                           layer("fc8", "conv", (1, 1, 4, 3), (3, 1))])
    meta = {
        "inputs": {"name": "data", "size": np.array([[4.0, 4.0, 2.0, 10.0]])},
        "normalization": {"averageImage": np.array([123.68, 116.779, 103.939], dtype=np.float32).reshape((1, 1, 3))},
    }
    return {"layers": layers, "meta": meta}


FIXTURES = {"basic": basic_vars, "nested": nested_vars, "matconvnet": matconvnet_vars}


# ------------------------------------------------------- expected-value nodes

def num(v):
    if isinstance(v, (np.floating, float)):
        v = float(v)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Inf" if v > 0 else "-Inf"
        return v
    return int(v)


def numeric_node(a):
    a = np.asarray(a)
    return {"class": CLASS_OF_DTYPE[a.dtype.name], "dims": list(a.shape),
            "logical": a.dtype == np.bool_,
            "data": [num(v) for v in a.flatten(order="F")]}


def char_node(dims, rows):
    return {"class": "char", "dims": list(dims), "text": "\n".join(rows)}


def node_from_source(v):
    """The node savemat writes for v (a model of its conversions)."""
    if isinstance(v, dict):
        if not v:
            return {"class": "struct", "dims": [1, 1], "fields": [], "selems": [[]]}
        return {"class": "struct", "dims": [1, 1], "fields": list(v),
                "selems": [[node_from_source(x) for x in v.values()]]}
    if isinstance(v, str):
        if v == "":
            return char_node([0, 0], [])
        return char_node([1, len(v)], [v])
    a = np.asarray(v)
    if a.dtype.kind == "U":
        assert a.ndim == 1
        width = max(len(s) for s in a)
        return char_node([len(a), width], [s.ljust(width) for s in a])
    if a.dtype.names is not None:
        fields = list(a.dtype.names)
        return {"class": "struct", "dims": list(a.shape), "fields": fields,
                "selems": [[node_from_source(el[f]) for f in fields] for el in a.flatten(order="F")]}
    if a.dtype == object:
        return {"class": "cell", "dims": list(a.shape),
                "elems": [node_from_source(x) for x in a.flatten(order="F")]}
    assert a.ndim >= 2, a
    return numeric_node(a)


def node_from_loaded(v):
    """The node for a value returned by loadmat(mat_dtype=True, chars_as_strings=False)."""
    a = v
    if a.dtype.kind == "U":
        if a.size == 0:
            return char_node(list(a.shape), [])
        rows = ["".join(a[i].flatten(order="F")) for i in range(a.shape[0])]
        return char_node(list(a.shape), rows)
    if a.dtype.names is not None:
        fields = list(a.dtype.names)
        return {"class": "struct", "dims": list(a.shape), "fields": fields,
                "selems": [[node_from_loaded(el[f]) for f in fields] for el in a.flatten(order="F")]}
    if a.dtype == object:
        if a.shape == (1, 1) and a[0, 0] is None:
            # How loadmat returns a 1x1 struct without fields.
            return {"class": "struct", "dims": [1, 1], "fields": [], "selems": [[]]}
        return {"class": "cell", "dims": list(a.shape),
                "elems": [node_from_loaded(x) for x in a.flatten(order="F")]}
    return numeric_node(a)


def same(expected, got, path):
    """Compares nodes; NaN equals NaN and -0.0 differs from 0.0."""
    if expected.get("empty_element"):
        ok = got["class"] == "double" and got["dims"] in ([0, 0], [1, 0]) and got["data"] == []
        assert ok, (path, expected, got)
        return
    for k in expected:
        if k == "name":
            continue
        e, g = expected[k], got.get(k)
        if k == "elems":
            assert len(e) == len(g), path
            for i, (x, y) in enumerate(zip(e, g)):
                same(x, y, f"{path}{{{i + 1}}}")
        elif k == "selems":
            assert len(e) == len(g), path
            for i, (xs, ys) in enumerate(zip(e, g)):
                for f, x, y in zip(expected["fields"], xs, ys):
                    same(x, y, f"{path}({i + 1}).{f}")
        elif k == "data":
            assert len(e) == len(g), path
            for x, y in zip(e, g):
                assert same_number(x, y), (path, e, g)
        else:
            assert e == g, (path, k, e, g)


def same_number(x, y):
    if isinstance(x, str) or isinstance(y, str):
        return x == y
    if isinstance(x, float) or isinstance(y, float):
        return float(x) == float(y) and math.copysign(1, x) == math.copysign(1, y)
    return x == y


def check_file(path, expected_vars):
    loaded = sio.loadmat(path, mat_dtype=True, chars_as_strings=False)
    names = [k for k in loaded if not k.startswith("__")]
    assert names == [n["name"] for n in expected_vars], (path, names)
    for n in expected_vars:
        same(n, node_from_loaded(loaded[n["name"]]), f"{os.path.basename(path)}:{n['name']}")


# ------------------------------------------------------------- big-endian

SIZES = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4}


def swap_data(typ, data):
    size = SIZES[typ]
    if size == 1:
        return bytes(data)
    return np.frombuffer(bytes(data), dtype=f"<u{size}").astype(f">u{size}").tobytes()


def swap_elements(buf, top=False):
    """Re-encodes a little-endian sequence of data elements as big-endian."""
    out = bytearray()
    pos = 0
    while pos < len(buf):
        (word,) = struct.unpack_from("<I", buf, pos)
        if word >> 16:  # small data element: type and size share the first word
            typ, n = word & 0xFFFF, word >> 16
            out += struct.pack(">I", word)
            out += swap_data(typ, buf[pos + 4:pos + 4 + n]).ljust(4, b"\0")
            pos += 8
            continue
        typ, n = struct.unpack_from("<II", buf, pos)
        data = buf[pos + 8:pos + 8 + n]
        if typ == 15:  # miCOMPRESSED: no padding after it
            assert top
            body = zlib.compress(swap_elements(zlib.decompress(data)))
            out += struct.pack(">II", typ, len(body)) + body
            pos += 8 + n
            continue
        body = swap_elements(data) if typ == 14 else swap_data(typ, data)
        out += struct.pack(">II", typ, n) + body
        pad = (8 - n % 8) % 8
        out += b"\0" * pad
        pos += 8 + n + pad
    return bytes(out)


def swap_to_big_endian(mat):
    assert mat[126:128] == b"IM"
    header = mat[:124] + struct.pack(">H", 0x0100) + b"MI"
    return header + swap_elements(mat[128:], top=True)


# ------------------------------------------------------------------ main

def savemat_bytes(mdict, compress):
    b = io.BytesIO()
    sio.savemat(b, mdict, do_compression=compress)
    raw = b.getvalue()
    return HEADER_TEXT.ljust(116) + raw[116:]


def go_written_expected():
    """What the Go test goWrittenVars writes into go_written_*.mat (kept in sync by hand)."""
    i16 = {"class": "int16", "dims": [1, 4], "logical": False, "data": [-32768, -1, 0, 32767]}
    f32 = numeric_node(np.arange(8, dtype=np.float32).reshape((2, 2, 2), order="F") * 0.5)
    empty = {"class": "double", "dims": [0, 0], "logical": False, "data": [], "empty_element": True}
    text = "h\u00e9llo \u2211 \u65e5\u672c \U0001F600"
    nodes = [
        dict(name="dbl_as_u8", **{"class": "double", "dims": [2, 3], "logical": False, "data": [1, 2, 3, 4, 5, 6]}),
        dict(name="i16", **i16),
        dict(name="u64", **{"class": "uint64", "dims": [1, 2], "logical": False, "data": [0, 2**64 - 1]}),
        dict(name="f32_3d", **f32),
        dict(name="f64", **{"class": "double", "dims": [1, 4], "logical": False,
                            "data": ["NaN", "Inf", "-Inf", -0.0]}),
        dict(name="text", **char_node([1, len(text)], [text])),
        dict(name="empty_text", **char_node([0, 0], [])),
        dict(name="mask", **{"class": "uint8", "dims": [2, 2], "logical": True, "data": [1, 0, 0, 1]}),
        dict(name="c", **{"class": "cell", "dims": [1, 3], "elems": [i16, empty, char_node([1, 1], ["a"])]}),
        dict(name="s", **{"class": "struct", "dims": [1, 2], "fields": ["name", "w"], "selems": [
            [char_node([1, 5], ["conv1"]), {"class": "cell", "dims": [1, 2], "elems": [f32, f32]}],
            [char_node([1, 4], ["relu"]), empty],
        ]}),
    ]
    return nodes


def main():
    expected = {"fixtures": {}, "go_written": {}}
    for set_name, make in FIXTURES.items():
        mdict = make()
        nodes = [dict(name=k, **node_from_source(v)) for k, v in mdict.items()]
        files = []
        for compress in (False, True):
            le = savemat_bytes(mdict, compress)
            be = swap_to_big_endian(le)
            for order, data in (("le", le), ("be", be)):
                fname = f"{set_name}_{order}{'_z' if compress else ''}.mat"
                path = os.path.join(HERE, fname)
                with open(path, "wb") as f:
                    f.write(data)
                check_file(path, nodes)
                files.append(fname)
        expected["fixtures"][set_name] = {"files": files, "vars": nodes}

    go_nodes = go_written_expected()
    for fname in ("go_written_le.mat", "go_written_be_z.mat"):
        path = os.path.join(HERE, fname)
        if not os.path.exists(path):
            raise SystemExit(f"{fname} missing: run `go test ./internal/matfile -run TestGoWrittenFiles -update` first")
        check_file(path, go_nodes)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        expected["go_written"][fname] = {"sha256": digest, "vars": go_nodes,
                                         "checked_by": f"scipy.io.loadmat (scipy {scipy.__version__})"}

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", sum(len(v["files"]) for v in expected["fixtures"].values()), "fixtures and expected.json")


if __name__ == "__main__":
    main()
