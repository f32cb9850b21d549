#!/usr/bin/env python3
"""Tests of tools/lpips/convert.py's pickle reader and conversion, run by
`make test` (python3 -m unittest, in the numpy/scipy venv of tools/golden-venv.sh).

    PY=$(tools/golden-venv.sh) && "$PY" -m unittest tools/lpips/convert_test.py
"""

import collections
import os
import pickle
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert  # noqa: E402


class Evil:
    """Unpickling this would run a shell command."""

    def __reduce__(self):
        return (os.system, ("echo pwned >&2",))


def tiny_vgg(rng):
    """A checkpoint-shaped dict with VGG16's layer shapes scaled down is not
    enough for read_ckpt (it checks the real widths), so this builds the real
    shapes with small random values."""
    net, cin = {}, 3
    for i, name in enumerate(convert.conv_names()):
        cout = convert.WIDTHS[int(name[4]) - 1]
        net["Conv_%d" % i] = {"kernel": rng.normal(0, 0.05, (3, 3, cin, cout)).astype(np.float32),
                              "bias": rng.normal(0, 0.1, cout).astype(np.float32)}
        cin = cout
    return {"VGG16_0": net, "NetLinLayer_0": {"Conv_0": {"kernel": np.zeros((1, 1, 64, 1), np.float32)}}}


class SafeUnpicklerTest(unittest.TestCase):
    def test_admits_nested_dicts_of_arrays(self):
        obj = {"a": {"kernel": np.arange(6, dtype=np.float32).reshape(2, 3)}, "b": np.float32([1, 2])}
        got = convert.safe_load(pickle.dumps(obj, protocol=4))
        np.testing.assert_array_equal(got["a"]["kernel"], obj["a"]["kernel"])
        for proto in (3, 4):  # the protocols whose numpy arrays use _reconstruct, as the checkpoint does
            got = convert.safe_load(pickle.dumps(obj, protocol=proto))
            np.testing.assert_array_equal(got["b"], obj["b"])

    def test_refuses_other_globals_by_name(self):
        cases = [
            (Evil(), "system"),
            ({"a": collections.OrderedDict(x=1)}, "collections.OrderedDict"),
            ({"a": np.float32(3)}, "scalar"),  # numpy scalars need numpy.core.multiarray.scalar
        ]
        for obj, name in cases:
            with self.subTest(name=name):
                with self.assertRaises(convert.RefusedPickle) as cm:
                    convert.safe_load(pickle.dumps(obj, protocol=4))
                self.assertIn(name, str(cm.exception))
                self.assertIn("only numpy arrays", str(cm.exception))

    def test_refuses_object_arrays_and_other_containers(self):
        obj_array = np.empty(2, dtype=object)
        obj_array[:] = [1, "x"]
        for obj, want in [({"a": [np.zeros(2)]}, "list"), ({"a": 3}, "int"), ({1: np.zeros(2)}, "key 1"),
                          ({"a": obj_array}, "")]:
            with self.subTest(want=want):
                with self.assertRaises(convert.RefusedPickle) as cm:
                    convert.safe_load(pickle.dumps(obj, protocol=4))
                self.assertIn(want, str(cm.exception))


class ConversionTest(unittest.TestCase):
    def test_folding_is_exact_at_every_scale(self):
        """conv1_1 of the converted weights on x = p - 255*mean equals scale
        times torchvision's conv1_1 on (p/255 - mean)/std, and deeper layers
        keep the factor."""
        rng = np.random.default_rng(3)
        convs = convert.read_ckpt(tiny_vgg(rng))
        img = rng.uniform(0, 255, (32, 32, 3))
        t = (img / 255.0 - convert.TORCH_MEAN) / convert.TORCH_STD
        ref = convert.forward(t, convs)
        for scale in (1.0, 255.0):
            got = convert.forward(img - 255.0 * convert.TORCH_MEAN, convert.to_matconvnet(convs, scale))
            for n in ("relu1_1", "conv3_1", "pool5"):
                self.assertLess(convert.rel_err(scale * ref[n], got[n]), 1e-5, (scale, n))

    def test_rejects_wrong_shapes(self):
        rng = np.random.default_rng(4)
        bad = tiny_vgg(rng)
        bad["VGG16_0"]["Conv_3"]["kernel"] = np.zeros((3, 3, 128, 64), np.float32)
        with self.assertRaises(SystemExit) as cm:
            convert.read_ckpt(bad)
        self.assertIn("Conv_3", str(cm.exception))
        missing = tiny_vgg(rng)
        del missing["VGG16_0"]["Conv_12"]
        with self.assertRaises(SystemExit) as cm:
            convert.read_ckpt(missing)
        self.assertIn("Conv_12", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
