#!/usr/bin/env python3
"""PyTorch peer of mlp-bench: the same networks, trained and run the same way.

Each case is NAME:MODE:BATCH:SIZES[:bf16|:int8], e.g. W1:train:256:784-1024-1024-10 (MODE
train|infer); with :bf16 the forward pass and loss run under
torch.autocast("cpu", dtype=torch.bfloat16) (mixed precision, float weights and SGD); with
:int8 (inference) the Linear layers go through torch.ao.quantization.quantize_dynamic.
Network: nn.Sequential of Linear + Sigmoid for every layer, MSELoss, torch.optim.SGD,
synthetic data in memory (inputs uniform [0,1), targets in (0.05,0.95)). Timing: warm-up,
then repeated windows on time.monotonic() (CLOCK_MONOTONIC), median samples/s.
Every torch thread count in --torch-threads is tried; the best is reported.
The BLAS thread count comes from the environment (OPENBLAS_NUM_THREADS), set by the caller.

Standalone output, one line each, space separated:
  TORCH <version> <OPENBLAS_NUM_THREADS or ->
  TRIAL <name> <mode> <batch> <torch_threads> <samples_per_s>
  RESULT <name> <mode> <batch> <best_samples_per_s> <best_torch_threads>
Exit status 3 (and a line NOTORCH) when torch cannot be imported.

With --serve (how mlp-bench uses it, so that its windows interleave with libmlp's and the
load of other processes falls on both alike) it prints the TORCH line, then answers
commands on stdin, one line each:
  CASE NAME:MODE:BATCH:SIZES      -> OK            (builds the net and its data)
  WINDOW <torch_threads> <seconds> -> SAMPLES <n>  (trains/infers for that long)
and exits at end of input.
"""
import argparse
import os
import statistics
import sys
import time


def parse_case(text):
    fields = text.split(":")
    name, mode, batch, sizes = fields[:4]
    if mode not in ("train", "infer"):
        raise ValueError("mode must be train or infer: " + text)
    precision = fields[4] if len(fields) == 5 else "fp32"
    if len(fields) > 5 or precision not in ("fp32", "bf16", "int8"):
        raise ValueError("the fifth field can only be bf16 or int8: " + text)
    if precision == "int8" and mode != "infer":
        raise ValueError("int8 is for inference: " + text)
    return name, mode, int(batch), [int(s) for s in sizes.split("-")], precision


def build_model(torch, sizes, precision="fp32"):
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    if precision == "int8":
        # Dynamic quantization: int8 weights, activations quantized per batch at run time,
        # on the best engine this build has (fbgemm, else onednn, else qnnpack).
        engines = torch.backends.quantized.supported_engines
        for engine in ("fbgemm", "onednn", "qnnpack"):
            if engine in engines:
                torch.backends.quantized.engine = engine
                break
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear},
                                                       dtype=torch.qint8)
    return model


def make_batches(torch, sizes, batch):
    count = max(16 * batch, 1024)
    count -= count % batch
    gen = torch.Generator().manual_seed(1234)
    x = torch.rand(count, sizes[0], generator=gen)
    y = 0.05 + 0.9 * torch.rand(count, sizes[-1], generator=gen)
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, count, batch)]


def make_step(torch, mode, model, batches, bf16=False):
    def autocast():
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    if mode == "infer":
        def infer(i):
            with torch.no_grad(), autocast():
                model(batches[i % len(batches)][0])
        return infer
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def train(i):
        x, y = batches[i % len(batches)]
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return train


def run_window(step, seconds, start_index):
    i = start_index
    t0 = time.monotonic()
    while True:
        step(i)
        i += 1
        t = time.monotonic()
        if t - t0 >= seconds:
            return i - start_index, t - t0, i


def measure(step, batch, args):
    _, _, i = run_window(step, args.warmup, 0)
    rates = []
    for _ in range(args.windows):
        steps, elapsed, i = run_window(step, args.seconds, i)
        rates.append(steps * batch / elapsed)
    return statistics.median(rates)


def serve(torch):
    step, batch, index = None, 0, 0
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "CASE":
            try:
                _, mode, batch, sizes, precision = parse_case(words[1])
                model = build_model(torch, sizes, precision)
                step = make_step(torch, mode, model, make_batches(torch, sizes, batch),
                                 precision == "bf16")
            except (RuntimeError, ValueError) as e:
                step = None
                print("ERROR", str(e).replace("\n", " "), flush=True)
                continue
            index = 0
            print("OK", flush=True)
        elif words[0] == "WINDOW" and step is not None:
            torch.set_num_threads(int(words[1]))
            steps, _, index = run_window(step, float(words[2]), index)
            print("SAMPLES", steps * batch, flush=True)
        else:
            print("ERROR", line.strip(), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=0.5, help="seconds per window")
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--warmup", type=float, default=0.5, help="warm-up seconds")
    ap.add_argument("--torch-threads", default="1,2", help="torch.set_num_threads values")
    ap.add_argument("--serve", action="store_true", help="answer CASE/WINDOW on stdin")
    ap.add_argument("case", nargs="*", help="NAME:MODE:BATCH:SIZES")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("NOTORCH", flush=True)
        return 3
    print("TORCH", torch.__version__, os.environ.get("OPENBLAS_NUM_THREADS", "-"), flush=True)
    if args.serve:
        return serve(torch)
    thread_counts = [int(t) for t in args.torch_threads.split(",")]
    torch.manual_seed(42)
    for case in args.case:
        name, mode, batch, sizes, precision = parse_case(case)
        model = build_model(torch, sizes, precision)
        batches = make_batches(torch, sizes, batch)
        step = make_step(torch, mode, model, batches, precision == "bf16")
        best = (0.0, 0)
        for threads in thread_counts:
            torch.set_num_threads(threads)
            rate = measure(step, batch, args)
            print("TRIAL", name, mode, batch, threads, "%.6g" % rate, flush=True)
            best = max(best, (rate, threads))
        print("RESULT", name, mode, batch, "%.6g" % best[0], best[1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
