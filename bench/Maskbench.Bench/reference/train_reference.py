"""PyTorch eager reference for the `train` and `train-small` benchmarks: VGG (batch norm) training steps on a fixed
random batch, in float32 and in PyTorch's fastest CPU mode (bfloat16 autocast with the model and inputs
channels-last; the loss in float32).

Usage: train_reference.py BATCH SIZE CLASSES NATURAL_ITERS PGD_ITERS THREADS [DEPTH WIDTH PGD_STEPS MODES]
(defaults: VGG-19, width 1, PGD-7, modes fp32,bf16). Prints one JSON line with images/s per mode and kind.
Natural: forward, cross-entropy, backward, SGD (momentum 0.9, weight decay 5e-4). PGD-K (Madry et al. 2018): random
start in the 8/255 ball, K signed-gradient steps of 2/255 (input gradients only, model in eval mode as Maskbench's
attack does), then the same training step on the result. The first step of each kind warms up and is not timed;
the fastest timed step counts (as in Maskbench's side).
"""
import contextlib
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vgg_reference import VGG  # noqa: E402

batch, size, classes, natural_iters, pgd_iters, threads = (int(a) for a in sys.argv[1:7])
depth = int(sys.argv[7]) if len(sys.argv) > 7 else 19
width = float(sys.argv[8]) if len(sys.argv) > 8 else 1.0
pgd_steps = int(sys.argv[9]) if len(sys.argv) > 9 else 7
modes = sys.argv[10].split(",") if len(sys.argv) > 10 else ["fp32", "bf16"]
torch.set_num_threads(threads)
eps, alpha = 8 / 255, 2 / 255


def run(mode):
    torch.manual_seed(0)
    model = VGG(depth, classes, size, width=width)
    x = torch.rand(batch, 3, size, size)
    y = torch.randint(0, classes, (batch,))
    low = mode == "bf16"
    if low:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

    def compute():
        return torch.autocast("cpu", dtype=torch.bfloat16) if low else contextlib.nullcontext()

    def update(inputs):
        model.train()
        with compute():
            logits = model(inputs)
        loss = F.cross_entropy(logits.float(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def pgd():
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
        for _ in range(pgd_steps):
            adv.requires_grad_(True)
            with compute():
                logits = model(adv)
            grad, = torch.autograd.grad(F.cross_entropy(logits.float(), y), adv)
            adv = torch.min(torch.max(adv.detach() + alpha * grad.sign(), x - eps), x + eps).clamp(0, 1)
        for p in model.parameters():
            p.requires_grad_(True)
        return adv

    def measure(step, iters):
        """Images per second of the fastest of ITERS timed steps (after one warm-up step)."""
        if iters <= 0:
            return 0.0
        step()
        best = float("inf")
        for _ in range(iters):
            start = time.perf_counter()
            step()
            best = min(best, time.perf_counter() - start)
        return batch / best

    return measure(lambda: update(x), natural_iters), measure(lambda: update(pgd()), pgd_iters)


result = {"torch": torch.__version__, "threads": threads}
for mode in modes:
    natural, robust = run(mode)
    # "natural"/"pgd" are the float32 figures (the names older readers use).
    prefix = "" if mode == "fp32" else mode + "_"
    result[prefix + "natural"] = natural
    result[prefix + "pgd"] = robust
print(json.dumps(result))
