"""PyTorch eager reference for the `train` and `train-small` benchmarks: VGG (batch norm) training steps on a fixed
random batch, in float32 and in PyTorch's fastest CPU mode (bfloat16 autocast with the model and inputs
channels-last; the loss in float32), one step at a time on request, so that the benchmark can alternate them with
its own steps and both sides meet the same machine.

Usage: train_reference.py BATCH SIZE CLASSES THREADS DEPTH WIDTH PGD_STEPS
Prints one JSON line ({"torch": version, "threads": n}), then reads requests from stdin, one per line:
"MODE KIND COUNT" with MODE fp32 or bf16 and KIND natural or pgd; each runs COUNT training steps of that kind back
to back and prints their wall times in seconds on one line, separated by spaces. End of input (or "quit") ends the
process.
Natural: forward, cross-entropy, backward, SGD (momentum 0.9, weight decay 5e-4). PGD-K (Madry et al. 2018): random
start in the 8/255 ball, K signed-gradient steps of 2/255 (input gradients only, model in eval mode as Maskbench's
attack does), then the same training step on the result. One model per precision, built on its first request.
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

batch, size, classes, threads, depth = (int(a) for a in sys.argv[1:6])
width = float(sys.argv[6])
pgd_steps = int(sys.argv[7])
torch.set_num_threads(threads)
eps, alpha = 8 / 255, 2 / 255


class Trainer:
    def __init__(self, mode):
        torch.manual_seed(0)
        self.low = mode == "bf16"
        self.model = VGG(depth, classes, size, width=width)
        self.x = torch.rand(batch, 3, size, size)
        self.y = torch.randint(0, classes, (batch,))
        if self.low:
            self.model = self.model.to(memory_format=torch.channels_last)
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

    def compute(self):
        return torch.autocast("cpu", dtype=torch.bfloat16) if self.low else contextlib.nullcontext()

    def update(self, inputs):
        self.model.train()
        with self.compute():
            logits = self.model(inputs)
        loss = F.cross_entropy(logits.float(), self.y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def pgd(self):
        model, x, y = self.model, self.x, self.y
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
        for _ in range(pgd_steps):
            adv.requires_grad_(True)
            with self.compute():
                logits = model(adv)
            grad, = torch.autograd.grad(F.cross_entropy(logits.float(), y), adv)
            adv = torch.min(torch.max(adv.detach() + alpha * grad.sign(), x - eps), x + eps).clamp(0, 1)
        for p in model.parameters():
            p.requires_grad_(True)
        return adv

    def step(self, kind):
        start = time.perf_counter()
        self.update(self.x if kind == "natural" else self.pgd())
        return time.perf_counter() - start


print(json.dumps({"torch": torch.__version__, "threads": threads}), flush=True)
trainers = {}
for line in sys.stdin:
    request = line.split()
    if not request or request[0] == "quit":
        break
    if len(request) != 3 or request[0] not in ("fp32", "bf16") or request[1] not in ("natural", "pgd") or not request[2].isdigit():
        sys.exit(f"unknown request: {line.strip()}")
    mode, kind, count = request[0], request[1], int(request[2])
    if mode not in trainers:
        trainers[mode] = Trainer(mode)
    print(" ".join(repr(trainers[mode].step(kind)) for _ in range(count)), flush=True)
