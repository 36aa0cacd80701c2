"""PyTorch eager reference for the `train` benchmark: VGG-19 (batch norm) training steps on a fixed random batch.

Usage: train_reference.py BATCH SIZE CLASSES NATURAL_ITERS PGD_ITERS THREADS. Prints one JSON line with images/s.
Natural: forward, cross-entropy, backward, SGD (momentum 0.9, weight decay 5e-4). PGD-7 (Madry et al. 2018): random
start in the 8/255 ball, 7 signed-gradient steps of 2/255 (input gradients only, model in eval mode as Maskbench's
attack does), then the same training step on the result. The first step of each kind warms up and is not timed; the fastest timed step counts (as in Maskbench's side).
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vgg_reference import VGG  # noqa: E402

batch, size, classes, natural_iters, pgd_iters, threads = (int(a) for a in sys.argv[1:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = VGG(19, classes, size)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
x = torch.rand(batch, 3, size, size)
y = torch.randint(0, classes, (batch,))
eps, alpha = 8 / 255, 2 / 255


def update(inputs):
    model.train()
    loss = F.cross_entropy(model(inputs), y)
    opt.zero_grad()
    loss.backward()
    opt.step()


def pgd():
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(7):
        adv.requires_grad_(True)
        loss = F.cross_entropy(model(adv), y)
        grad, = torch.autograd.grad(loss, adv)
        adv = torch.min(torch.max(adv.detach() + alpha * grad.sign(), x - eps), x + eps).clamp(0, 1)
    for p in model.parameters():
        p.requires_grad_(True)
    return adv


def measure(step, iters):
    """Images per second of the fastest of ITERS timed steps (after one warm-up step)."""
    step()
    best = float("inf")
    for _ in range(iters):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return batch / best


natural = measure(lambda: update(x), natural_iters)
robust = measure(lambda: update(pgd()), pgd_iters)
print(json.dumps({"torch": torch.__version__, "natural": natural, "pgd": robust, "threads": threads}))
