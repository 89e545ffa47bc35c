#!/usr/bin/env python3
"""Writes tests/corpus/onnx/: small ONNX files, valid and hostile, that test_onnx.c imports
(expecting the status and message it lists for each) and the fuzzer starts from. Needs the
onnx Python package (Debian python3-onnx); the files are committed, so tests do not.
    python3 tests/onnx/make_corpus.py tests/corpus/onnx"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)


def init(name, *shape, raw=True, dtype=np.float32):
    a = rng.standard_normal(shape).astype(dtype)
    if raw:
        return numpy_helper.from_array(a, name)
    return helper.make_tensor(name, TensorProto.FLOAT, shape, a.ravel().tolist())


def model(nodes, inits, in_shape=("N", 3), in_type=TensorProto.FLOAT, out_width=2, opset=13,
          inputs=None):
    ins = inputs or [helper.make_tensor_value_info("x", in_type, list(in_shape))]
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out_width])]
    g = helper.make_graph(nodes, "g", ins, outs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def save(name, m):
    with open(os.path.join(out, name), "wb") as f:
        f.write(m.SerializeToString() if not isinstance(m, bytes) else m)


gemm = lambda i, w, b, o, **kw: helper.make_node("Gemm", [i, w, b], [o], transB=1, **kw)
# valid: Gemm + Relu + Gemm + Softmax; MatMul + Add + Tanh after Flatten, typed float lists
save("ok-gemm-softmax.onnx", model(
    [gemm("x", "W0", "B0", "h", name="fc0"), helper.make_node("Relu", ["h"], ["r"]),
     gemm("r", "W1", "B1", "z", name="fc1"), helper.make_node("Softmax", ["z"], ["y"], axis=1)],
    [init("W0", 4, 3), init("B0", 4), init("W1", 2, 4), init("B1", 2)]))
save("ok-flatten-matmul.onnx", model(
    [helper.make_node("Flatten", ["x"], ["f"], axis=1), helper.make_node("MatMul", ["f", "W"], ["m"]),
     helper.make_node("Add", ["m", "B"], ["a"]), helper.make_node("Tanh", ["a"], ["y"])],
    [init("W", 6, 2, raw=False), init("B", 2, raw=False)], in_shape=("N", 2, 3)))
save("ok-logsoftmax-opset11.onnx", model(
    [helper.make_node("MatMul", ["x", "W0"], ["h"]), helper.make_node("Sigmoid", ["h"], ["s"]),
     gemm("s", "W1", "B1", "z", alpha=0.5, beta=2.0), helper.make_node("LogSoftmax", ["z"], ["y"])],
    [init("W0", 3, 4), init("W1", 2, 4), init("B1", 1, 2)], opset=11))
shape = numpy_helper.from_array(np.array([-1, 6], dtype=np.int64), "shape")
save("ok-scaled-reshape.onnx", model(
    [helper.make_node("Constant", [], ["shape"], value=shape),
     helper.make_node("Reshape", ["x", "shape"], ["f"]), helper.make_node("Sub", ["f", "off"], ["c"]),
     helper.make_node("Div", ["c", "sd"], ["n"]), helper.make_node("Identity", ["n"], ["i"]),
     gemm("i", "W", "B", "h"), helper.make_node("LeakyRelu", ["h"], ["y"], alpha=0.01)],
    [init("off", 6), numpy_helper.from_array(np.full(6, 2.0, np.float32), "sd"),
     init("W", 2, 6), init("B", 2)], in_shape=("N", 3, 2), opset=17))
# refused
save("conv.onnx", model(
    [helper.make_node("Conv", ["x", "K"], ["c"], name="conv1"), gemm("c", "W", "B", "y")],
    [init("K", 1, 1, 1), init("W", 2, 3), init("B", 2)]))
save("branch.onnx", model(
    [gemm("x", "W0", "B0", "a", name="left"), gemm("x", "W1", "B1", "b", name="right"),
     helper.make_node("Add", ["a", "b"], ["y"], name="merge")],
    [init("W0", 2, 3), init("B0", 2), init("W1", 2, 3), init("B1", 2)]))
save("cycle.onnx", model(
    [helper.make_node("Identity", ["x"], ["t1"], name="i1"),
     helper.make_node("Identity", ["t1"], ["t2"], name="i2"),
     helper.make_node("Identity", ["t2"], ["t1"], name="i3")],
    [init("W", 2, 3), init("B", 2)]))
save("leaky-alpha.onnx", model(
    [gemm("x", "W", "B", "h"), helper.make_node("LeakyRelu", ["h"], ["y"], alpha=0.2, name="lr")],
    [init("W", 2, 3), init("B", 2)]))
save("double-weights.onnx", model([gemm("x", "W", "B", "y")],
                                  [init("W", 2, 3, dtype=np.float64), init("B", 2)]))
save("int-input.onnx", model([gemm("x", "W", "B", "y")], [init("W", 2, 3), init("B", 2)],
                             in_type=TensorProto.INT64))
huge = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40])
save("huge-dims.onnx", model([gemm("x", "W", "B", "y")], [huge, init("B", 2)]))
few = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1 << 20, 3], float_data=[1, 2, 3])
save("short-data.onnx", model([gemm("x", "W", "B", "y")], [few, init("B", 2)]))
save("trans-a.onnx", model([gemm("x", "W", "B", "y", transA=1)], [init("W", 2, 3), init("B", 2)]))
save("unknown-attr.onnx", model(
    [gemm("x", "W", "B", "h"), helper.make_node("Relu", ["h"], ["y"], name="r", foo=3)],
    [init("W", 2, 3), init("B", 2)]))
ext = init("W", 2, 3)
ext.ClearField("raw_data")
ext.data_location = TensorProto.EXTERNAL
ext.external_data.add(key="location", value="weights.bin")
save("external-data.onnx", model([gemm("x", "W", "B", "y")], [ext, init("B", 2)]))
save("softmax-hidden.onnx", model(
    [gemm("x", "W0", "B0", "h"), helper.make_node("Softmax", ["h"], ["s"], axis=1, name="sm"),
     gemm("s", "W1", "B1", "y", name="after")],
    [init("W0", 4, 3), init("B0", 4), init("W1", 2, 4), init("B1", 2)]))
save("old-opset.onnx", model([gemm("x", "W", "B", "y")], [init("W", 2, 3), init("B", 2)], opset=6))
save("two-activations.onnx", model(
    [gemm("x", "W", "B", "h"), helper.make_node("Relu", ["h"], ["r"]),
     helper.make_node("Tanh", ["r"], ["y"], name="second")], [init("W", 2, 3), init("B", 2)]))
# a graph in an attribute in a graph ... 200 deep (protobuf-c would recurse without limit)
inner = helper.make_graph([], "g0", [], [])
for i in range(200):
    inner = helper.make_graph([helper.make_node("If", ["c"], ["o"], then_branch=inner)],
                              "g%d" % (i + 1), [], [])
save("deep-nesting.onnx", model([helper.make_node("If", ["x"], ["y"], then_branch=inner)], []))
good = open(os.path.join(out, "ok-gemm-softmax.onnx"), "rb").read()
save("truncated.onnx", good[: len(good) // 2])
save("garbage.onnx", bytes(range(256)) * 4)
save("empty.onnx", b"")
