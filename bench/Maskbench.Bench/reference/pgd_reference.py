"""PyTorch eager reference for the `pgd` benchmark: the same VGG-19 as Maskbench.Models.Vgg (width-scaled, batch
norm, in-place ReLU, (x - 0.5) / 0.5 normalization inside, eval mode), the same batch of 32x32 inputs, the same L-inf PGD (random start, sign steps, clamp to the ball and box,
every step on every image), best of REPS timed runs after a two-step warm-up. Gradients go to the input only (parameters frozen).
Usage: pgd_reference.py WIDTH BATCH STEPS REPS THREADS. Prints one JSON line: image-steps per second in float32."""
import json, sys, time
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


model = torch.nn.Sequential(Normalize(), *layers, torch.nn.Flatten(), torch.nn.Linear(channels, 10)).eval()
for p in model.parameters():
    p.requires_grad_(False)

x = torch.rand(batch, 3, 32, 32)
with torch.no_grad():
    y = model(x).argmax(1)  # the model's own predictions, as the Maskbench side uses
eps, alpha = 8 / 255, 2.5 * (8 / 255) / steps


def pgd(n):
    xa = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    # The same work as an evaluation by Maskbench's PgdAttack: a clean forward (natural accuracy), n gradient steps,
    # and a forward at the final iterate (is it fooled?).
    with torch.no_grad():
        clean_correct = model(x).argmax(1) == y
    for _ in range(n):
        xa.requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(xa), y, reduction="sum")
        g, = torch.autograd.grad(loss, xa)
        xa = torch.min(torch.max(xa.detach() + alpha * g.sign(), x - eps), x + eps).clamp(0, 1)
    with torch.no_grad():
        robust = clean_correct & (model(xa).argmax(1) == y)
    return xa, robust


pgd(2)
elapsed = float("inf")
for _ in range(reps):
    t = time.perf_counter()
    pgd(steps)
    elapsed = min(elapsed, time.perf_counter() - t)
print(json.dumps({"torch": torch.__version__, "fp32": batch * steps / elapsed}))
