"""PyTorch -> ONNX -> libmlp: MLPs built in PyTorch (every activation libmlp has, several
widths and depths, with and without biases, softmax or log-softmax heads, a Flatten of a 3-d
input), exported with torch.onnx.export at several opsets, with and without constant folding
(without it, weights come as Transpose + MatMul), at opset 11 with the initializers listed
as graph inputs too, imported by libmlp; libmlp's outputs equal
PyTorch's within 1e-5 relative to the largest output: max |libmlp - torch| <= 1e-5 * max(max
|torch|, 1e-3). A log-softmax head is imported as softmax: compared with exp(torch).
Every fourth model also goes through `mlp convert` to a model file.
    python3 torch_roundtrip.py ONNX_CHECK MLP"""
import itertools
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
check, mlp = sys.argv[1:3]
torch.manual_seed(0)
ACTS = {"relu": torch.nn.ReLU, "leaky": lambda: torch.nn.LeakyReLU(0.01),
        "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "linear": None}
HEADS = ["linear", "softmax", "logsoftmax", "sigmoid"]
SHAPES = [[5, 3], [8, 16, 2], [10, 32, 7, 4], [3, 4, 4, 4, 6], [(2, 5), 12, 3]]
OPSETS = [11, 13, 17]


def build(shape, act, head, bias):
    layers = []
    n0 = shape[0]
    if isinstance(n0, tuple):
        layers.append(torch.nn.Flatten())
        n0 = n0[0] * n0[1]
    widths = [n0] + shape[1:]
    for k in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[k], widths[k + 1], bias=bias))
        if bias:  # torch's biases start near zero: move them so that they count
            torch.nn.init.uniform_(layers[-1].bias, -0.5, 0.5)
        last = k == len(widths) - 2
        if not last and ACTS[act]:
            layers.append(ACTS[act]())
    if head == "softmax":
        layers.append(torch.nn.Softmax(dim=1))
    elif head == "logsoftmax":
        layers.append(torch.nn.LogSoftmax(dim=1))
    elif head == "sigmoid":
        layers.append(torch.nn.Sigmoid())
    return torch.nn.Sequential(*layers).eval()


def run(tmp, case, idx, shape, act, head, bias, opset, fold):
    net = build(shape, act, head, bias)
    in_shape = (64,) + (shape[0] if isinstance(shape[0], tuple) else (shape[0],))
    x = torch.randn(*in_shape) * 2.0
    with torch.no_grad():
        want = net(x).numpy().astype(np.float64)
    if head == "logsoftmax":
        want = np.exp(want)
    path = os.path.join(tmp, case + ".onnx")
    # opset 11: initializers listed among the graph inputs too, as older exporters wrote them
    torch.onnx.export(net, x, path, opset_version=opset, do_constant_folding=fold,
                      keep_initializers_as_inputs=opset == 11,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    model = path
    if idx % 4 == 0:
        model = os.path.join(tmp, case + ".mlp")
        r = subprocess.run([mlp, "convert", path, model], capture_output=True, text=True)
        if r.returncode:
            return f"mlp convert: {r.stderr.strip()}"
    xin, yout = os.path.join(tmp, "x.f32"), os.path.join(tmp, "y.f32")
    x.numpy().astype("<f4").tofile(xin)
    r = subprocess.run([check, "predict", model, xin, "64", yout], capture_output=True, text=True)
    if r.returncode:
        return r.stderr.strip()
    got = np.fromfile(yout, dtype="<f4").astype(np.float64).reshape(want.shape)
    rel = np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-3)
    return rel


def main():
    failed = worst = count = 0
    with tempfile.TemporaryDirectory() as tmp:
        combos = itertools.product(OPSETS, ACTS, [True, False])
        for idx, (opset, act, bias) in enumerate(combos):
            for j, shape in enumerate(SHAPES):
                head = HEADS[(idx + j) % len(HEADS)]
                fold = (idx + j) % 2 == 0
                case = f"opset{opset}-{act}-{head}-bias{int(bias)}-{'fold' if fold else 'nofold'}-{j}"
                res = run(tmp, case, count, shape, act, head, bias, opset, fold)
                count += 1
                if isinstance(res, str) or not res <= 1e-5:
                    failed += 1
                    print(f"FAIL {case}: {res}")
                else:
                    worst = max(worst, res)
                    if os.environ.get("VERBOSE"):
                        print(f"ok   {case}: relative error {res:.2e}")
    print(f"{count - failed}/{count} PyTorch {torch.__version__} models agree with libmlp "
          f"(opsets {OPSETS}, worst relative error {worst:.2e})")
    return 1 if failed else 0


sys.exit(main())
