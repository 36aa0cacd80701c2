"""PyTorch reference for the `eval-job` benchmark: robust accuracy of a classifier under PGD-20 and APGD-CE-100 as a
PyTorch user writes the job (a plain torchattacks-style loop: every step on every attacked image, no early stop),
end to end: load the weights, a float32 clean pass, the attacks, float32 verdicts.

Protocol (as torchattacks' MultiAttack and AutoAttack run attacks in turn): PGD-20 (ε = 8/255, step 2/255, random
start, last iterate) on the correctly classified images, then APGD-CE-100 (Croce and Hein 2020, their reference
loop: momentum 0.75, step 2ε halved at the checkpoints, best-loss restarts) on the images PGD did not fool. An image
is robust if neither attack fools it (judged by the float32 model).

Usage: eval_job_reference.py EXPORT_DIR BATCH THREADS MODE
  EXPORT_DIR holds model.json and model.safetensors (as `maskbench export` writes them) and data.safetensors
  (inputs N x C x H x W float32 in [0,1], labels int64).
  MODE fp32: everything float32 eager. MODE bf16: the searches under torch.autocast('cpu', dtype=torch.bfloat16)
  with the model and inputs channels-last (loss float32); the clean pass and verdicts float32.
Prints one JSON line: seconds per stage, robust accuracies.
"""
import contextlib
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vgg_reference import build, read_safetensors  # noqa: E402

folder, batch, threads, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(threads)
EPS, PGD_STEPS, PGD_ALPHA, APGD_STEPS = 8 / 255, 20, 2 / 255, 100
low = mode == "bf16"
clock = time.perf_counter()
times = {}

# Load.
with open(os.path.join(folder, "model.json")) as f:
    model = build(json.load(f)["model"])
model.load_state_dict(read_safetensors(os.path.join(folder, "model.safetensors")), strict=True)
model.eval()
for p in model.parameters():
    p.requires_grad_(False)
data = read_safetensors(os.path.join(folder, "data.safetensors"))
images, labels = data["inputs"], data["labels"]
search_model = model
if low:
    import copy
    search_model = copy.deepcopy(model).to(memory_format=torch.channels_last)
times["load"] = time.perf_counter() - clock


def search_logits(x):
    if not low:
        return model(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        return search_model(x.contiguous(memory_format=torch.channels_last)).float()


def correct(x, y):
    with torch.no_grad():
        return model(x).argmax(1) == y


def pgd(x, y):
    torch.manual_seed(0)
    xa = (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0, 1)
    for _ in range(PGD_STEPS):
        xa.requires_grad_(True)
        g, = torch.autograd.grad(F.cross_entropy(search_logits(xa), y), xa)
        xa = torch.min(torch.max(xa.detach() + PGD_ALPHA * g.sign(), x - EPS), x + EPS).clamp(0, 1)
    return xa


def apgd_ce(x, y, n_iter=APGD_STEPS, rho=0.75):
    """APGD-CE after Croce and Hein's reference implementation (autopgd_base.py, L-inf, one restart)."""
    torch.manual_seed(0)
    n = x.shape[0]
    n_iter_2, n_iter_min, size_decr = max(int(0.22 * n_iter), 1), max(int(0.06 * n_iter), 1), max(int(0.03 * n_iter), 1)
    t = 2 * torch.rand_like(x) - 1
    x_adv = (x + EPS * t / t.reshape(n, -1).abs().max(1)[0].reshape(n, 1, 1, 1)).clamp(0, 1)
    x_best, x_best_adv = x_adv.clone(), x_adv.clone()
    loss_steps = torch.zeros(n_iter, n)
    x_adv.requires_grad_(True)
    logits = search_logits(x_adv)
    loss_indiv = F.cross_entropy(logits, y, reduction="none")
    grad, = torch.autograd.grad(loss_indiv.sum(), x_adv)
    grad_best = grad.clone()
    acc = logits.detach().argmax(1) == y
    loss_best = loss_indiv.detach().clone()
    step_size = 2 * EPS * torch.ones(n, 1, 1, 1)
    x_adv_old = x_adv.detach().clone()
    k, counter3 = n_iter_2, 0
    loss_best_last_check = loss_best.clone()
    reduced_last_check = torch.ones_like(loss_best, dtype=torch.bool)
    for i in range(n_iter):
        with torch.no_grad():
            x_adv = x_adv.detach()
            grad2 = x_adv - x_adv_old
            x_adv_old = x_adv.clone()
            a = 0.75 if i > 0 else 1.0
            x_adv_1 = torch.min(torch.max(x_adv + step_size * grad.sign(), x - EPS), x + EPS).clamp(0, 1)
            x_adv_1 = torch.min(torch.max(x_adv + (x_adv_1 - x_adv) * a + grad2 * (1 - a), x - EPS), x + EPS).clamp(0, 1)
            x_adv = x_adv_1
        x_adv.requires_grad_(True)
        logits = search_logits(x_adv)
        loss_indiv = F.cross_entropy(logits, y, reduction="none")
        grad, = torch.autograd.grad(loss_indiv.sum(), x_adv)
        with torch.no_grad():
            pred = logits.argmax(1) == y
            acc = acc & pred
            x_best_adv[~pred] = x_adv[~pred].detach()
            y1 = loss_indiv.detach()
            loss_steps[i] = y1
            ind = y1 > loss_best
            x_best[ind], grad_best[ind], loss_best[ind] = x_adv[ind].detach(), grad[ind], y1[ind]
            counter3 += 1
            if counter3 == k:
                increases = torch.zeros(n)
                for j in range(k):
                    increases += loss_steps[i - j] > loss_steps[i - j - 1]
                fl_osc = increases <= k * rho * torch.ones(n)
                fl_reduce_no_impr = (~reduced_last_check) & (loss_best_last_check >= loss_best)
                fl_osc = fl_osc | fl_reduce_no_impr
                reduced_last_check = fl_osc.clone()
                loss_best_last_check = loss_best.clone()
                if fl_osc.any():
                    step_size[fl_osc] /= 2.0
                    x_adv[fl_osc] = x_best[fl_osc].clone()
                    grad[fl_osc] = grad_best[fl_osc].clone()
                counter3 = 0
                k = max(k - size_decr, n_iter_min)
    # The fooling iterate where the search saw one, else the best-loss point.
    return torch.where((~acc).reshape(n, 1, 1, 1), x_best_adv, x_best)


clock = time.perf_counter()
clean = torch.cat([correct(images[s:s + batch], labels[s:s + batch]) for s in range(0, len(labels), batch)])
times["clean"] = time.perf_counter() - clock

robust = clean.clone()
pgd_robust = clean.clone()
for attack, name in ((pgd, "pgd"), (apgd_ce, "apgd")):
    clock = time.perf_counter()
    rows = robust.nonzero().flatten()
    for s in range(0, len(rows), batch):
        idx = rows[s:s + batch]
        x, y = images[idx], labels[idx]
        still = correct(attack(x, y), y)   # the float32 verdict
        robust[idx] = still
    if name == "pgd":
        pgd_robust = robust.clone()
    times[name] = time.perf_counter() - clock

print(json.dumps({"torch": torch.__version__, "mode": mode, "images": len(labels), "seconds": times,
                  "total": sum(times.values()), "clean_accuracy": clean.float().mean().item(),
                  "pgd_robust_accuracy": pgd_robust.float().mean().item(), "robust_accuracy": robust.float().mean().item()}))
