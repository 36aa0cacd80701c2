"""PyTorch reference for the `pgd` benchmark: the same VGG-19 as Maskbench.Models.Vgg (width-scaled, batch norm,
in-place ReLU, (x - 0.5) / 0.5 normalization inside, eval mode), the same batch of 32x32 inputs, the same L-inf PGD
(random start, sign steps, clamp to the ball and box, every step on every image), best of REPS timed runs after a
two-step warm-up. Gradients go to the input only (parameters frozen). Each run is the job an evaluation does: a
float32 clean check, STEPS gradient steps, a float32 verdict on the final inputs.

Two modes, each as a PyTorch user would write it at its fastest on a CPU:
  fp32: eager float32 (NCHW).
  bf16: the search under torch.autocast('cpu', dtype=torch.bfloat16) with the model and inputs channels-last; the
        clean check and the verdict stay float32. Also timed: the search on a frozen TorchScript bfloat16 copy
        (torch.jit.freeze folds batch norm into the convolutions, as Maskbench's frozen form does); the faster of the
        two counts as PyTorch bf16.
Usage: pgd_reference.py WIDTH BATCH STEPS REPS THREADS. Prints one JSON line: image-steps per second per mode and
the robust accuracy each mode's run left (against the model's own predictions)."""
import copy, json, sys, time
import torch

width, batch, steps, reps, threads = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(1)
VGG19 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]


def scaled(c):
    return max(1, int(c * width + 0.5))


layers, channels = [], 3
for c in VGG19:
    if c == "M":
        layers.append(torch.nn.MaxPool2d(2))
        continue
    layers += [torch.nn.Conv2d(channels, scaled(c), 3, padding=1), torch.nn.BatchNorm2d(scaled(c)), torch.nn.ReLU(inplace=True)]
    channels = scaled(c)


class Normalize(torch.nn.Module):
    def forward(self, x):
        return (x - 0.5) / 0.5


model = torch.nn.Sequential(Normalize(), *layers, torch.nn.Flatten(), torch.nn.Linear(channels, 10))
x = torch.rand(batch, 3, 32, 32)
# Batch-norm statistics from the batch itself, as the Maskbench side calibrates its network (a fresh network's logits
# barely vary across inputs otherwise).
for m in model.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.momentum = 1.0
with torch.no_grad():
    model.train()(x)
model.eval()
for p in model.parameters():
    p.requires_grad_(False)
with torch.no_grad():
    y = model(x).argmax(1)  # the model's own predictions, as the Maskbench side uses
eps, alpha = 8 / 255, 2.5 * (8 / 255) / steps

model_cl = torch.nn.Sequential(*model).to(memory_format=torch.channels_last)  # the same modules, channels-last weights
x_cl = x.contiguous(memory_format=torch.channels_last)
with torch.no_grad():
    frozen_bf16 = torch.jit.freeze(torch.jit.trace(copy.deepcopy(model).to(memory_format=torch.channels_last).bfloat16().eval(), x_cl.bfloat16()))


def search_fp32(xa):
    loss = torch.nn.functional.cross_entropy(model(xa), y, reduction="sum")
    return loss


def search_autocast(xa):
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model_cl(xa.contiguous(memory_format=torch.channels_last))
    return torch.nn.functional.cross_entropy(logits.float(), y, reduction="sum")


def search_frozen(xa):
    logits = frozen_bf16(xa.contiguous(memory_format=torch.channels_last).bfloat16())
    return torch.nn.functional.cross_entropy(logits.float(), y, reduction="sum")


def pgd(n, loss_of):
    torch.manual_seed(2)
    xa = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    with torch.no_grad():
        clean_correct = model(x).argmax(1) == y
    for _ in range(n):
        xa.requires_grad_(True)
        g, = torch.autograd.grad(loss_of(xa), xa)
        xa = torch.min(torch.max(xa.detach() + alpha * g.sign(), x - eps), x + eps).clamp(0, 1)
    with torch.no_grad():
        robust = clean_correct & (model(xa).argmax(1) == y)
    return robust.float().mean().item()


def timed(loss_of):
    pgd(2, loss_of)
    elapsed, robust = float("inf"), None
    for _ in range(reps):
        t = time.perf_counter()
        robust = pgd(steps, loss_of)
        elapsed = min(elapsed, time.perf_counter() - t)
    return batch * steps / elapsed, robust


fp32, robust32 = timed(search_fp32)
autocast, robust_autocast = timed(search_autocast)
frozen, robust_frozen = timed(search_frozen)
best_bf16, robust16, how = (autocast, robust_autocast, "autocast, channels-last") if autocast >= frozen else (frozen, robust_frozen, "frozen TorchScript bf16, channels-last")
print(json.dumps({"torch": torch.__version__, "fp32": fp32, "bf16": best_bf16, "bf16_mode": how,
                  "bf16_autocast": autocast, "bf16_frozen": frozen,
                  "robust_fp32": robust32, "robust_bf16": robust16}))
