#!/usr/bin/python3
"""Dynamic int8 quantization of an ONNX file exported by libmlp, for mlp-bench's ONNX
Runtime int8 peer (onnxruntime-node has no quantization tool; this writes the graph that
onnxruntime.quantization.quantize_dynamic writes for a MatMul, per output channel):
every Gemm(X, W, B, transB=1) becomes
    DynamicQuantizeLinear(X) -> Xq (uint8), Xs, Xzp
    MatMulInteger(Xq, Wq^T, Xzp)   Wq int8, symmetric, one scale per output neuron
    Cast(float) * (Xs * Ws) + B
which ONNX Runtime fuses into its DynamicQuantizeMatMul kernel.

Usage: ort_quantize.py IN.onnx OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def main():
    model = onnx.load(sys.argv[1])
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    nodes, drop = [], set()
    for n in g.node:
        trans_b = next((a.i for a in n.attribute if a.name == "transB"), 0)
        if n.op_type != "Gemm" or n.input[1] not in inits or not trans_b:
            nodes.append(n)
            continue
        x, wname = n.input[0], n.input[1]
        w = numpy_helper.to_array(inits[wname]).astype(np.float64)  # n_out x n_in
        scale = np.abs(w).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        wq = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8).T.copy()
        p = n.name or wname
        g.initializer.extend([numpy_helper.from_array(wq, p + "_wq"),
                              numpy_helper.from_array(scale.astype(np.float32), p + "_ws")])
        drop.add(wname)
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [p + "_xq", p + "_xs", p + "_xzp"]),
            helper.make_node("MatMulInteger", [p + "_xq", p + "_wq", p + "_xzp"], [p + "_i32"]),
            helper.make_node("Cast", [p + "_i32"], [p + "_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [p + "_xs", p + "_ws"], [p + "_s"]),
            helper.make_node("Mul", [p + "_f", p + "_s"],
                             [p + "_y" if len(n.input) > 2 else n.output[0]]),
        ]
        if len(n.input) > 2:
            nodes.append(helper.make_node("Add", [p + "_y", n.input[2]], [n.output[0]]))
    del g.node[:]
    g.node.extend(nodes)
    keep = [t for t in g.initializer if t.name not in drop]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(model)
    onnx.save(model, sys.argv[2])


if __name__ == "__main__":
    main()
