"""PyTorch definitions of Maskbench's classifiers and a check that exported weights load and agree.

Usage: python3 vgg_reference.py EXPORT_DIR
    EXPORT_DIR holds model.json, model.safetensors and check.safetensors as written by `maskbench export`.
    Builds the module described by model.json, loads the weights with load_state_dict(strict=True), runs the
    inputs of check.safetensors in eval mode and prints one JSON line with the largest absolute logit difference.

The module definitions are the ones docs/interop.md shows. The safetensors reader is written here by hand (the
format: 8-byte little-endian header length, JSON header, raw little-endian data) so that no package beyond torch
and numpy is needed.
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

VGG_CONFIGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def scaled(channels, width):
    # Round half away from zero, at least one channel (as ModelSpec.Scaled).
    return max(1, int(np.floor(channels * width + 0.5)))


class Normalized(nn.Module):
    """Images in [0,1]; (x - mean) / std inside, with mean and std as persistent buffers."""

    def __init__(self, mean, std):
        super().__init__()
        c = len(mean)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(1, c, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).reshape(1, c, 1, 1))

    def forward(self, x):
        return self.classify((x - self.mean) / self.std)


class VGG(Normalized):
    def __init__(self, depth, classes, input_size, channels=3, width=1.0, mean=None, std=None):
        super().__init__(mean or [0.5] * channels, std or [0.5] * channels)
        layers, c_in = [], channels
        for v in VGG_CONFIGS[depth]:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                c_out = scaled(v, width)
                layers += [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
                c_in = c_out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_in * (input_size // 32) ** 2, classes)

    def classify(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class PreActBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, kernel_size=3, stride=1, padding=1, bias=False)
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride, bias=False))

    def forward(self, x):
        out = F.relu(self.bn1(x))
        skip = self.shortcut(out) if hasattr(self, "shortcut") else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + skip


class PreActResNet18(Normalized):
    def __init__(self, classes, input_size, channels=3, width=1.0, mean=None, std=None):
        super().__init__(mean or [0.5] * channels, std or [0.5] * channels)
        stem = scaled(64, width)
        self.conv1 = nn.Conv2d(channels, stem, kernel_size=3, stride=1, padding=1, bias=False)
        c = stem
        stages = []
        for planes, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            out = scaled(planes, width)
            stages.append(nn.Sequential(PreActBlock(c, out, stride), PreActBlock(out, out, 1)))
            c = out
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.bn = nn.BatchNorm2d(c)
        self.linear = nn.Linear(c, classes)

    def classify(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.conv1(x)))))
        x = F.adaptive_avg_pool2d(F.relu(self.bn(x)), 1)
        return self.linear(torch.flatten(x, 1))


class SmallCnn(Normalized):
    def __init__(self, classes, input_size, channels=1, width=1.0, mean=None, std=None):
        super().__init__(mean or [0.5] * channels, std or [0.5] * channels)
        c1, c2, hidden = scaled(32, width), scaled(64, width), scaled(1024, width)
        self.features = nn.Sequential(
            nn.Conv2d(channels, c1, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(c1, c2, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2))
        self.classifier = nn.Sequential(nn.Linear(c2 * (input_size // 4) ** 2, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def classify(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def build(spec):
    args = dict(classes=spec["classes"], input_size=spec["inputSize"], channels=spec["channels"],
                width=spec["width"], mean=spec["mean"], std=spec["std"])
    arch = spec["arch"]
    if arch.startswith("vgg"):
        return VGG(int(arch[3:]), **args)
    if arch == "preactresnet18":
        return PreActResNet18(**args)
    if arch == "smallcnn":
        return SmallCnn(**args)
    raise ValueError("unknown architecture " + arch)


DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    base = 8 + n
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[base + begin:base + end], dtype=np.dtype(DTYPES[entry["dtype"]]).newbyteorder("<"))
        tensors[name] = torch.from_numpy(array.reshape(entry["shape"]).copy())
    return tensors


def main():
    folder = sys.argv[1]
    with open(folder + "/model.json") as f:
        description = json.load(f)
    model = build(description["model"])
    model.load_state_dict(read_safetensors(folder + "/model.safetensors"), strict=True)
    model.eval()
    check = read_safetensors(folder + "/check.safetensors")
    with torch.no_grad():
        logits = model(check["inputs"])
    diff = (logits - check["logits"]).abs().max().item()
    print(json.dumps({"arch": description["model"]["arch"], "strict_load": True, "max_abs_logit_diff": diff,
                      "logit_scale": check["logits"].abs().max().item(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
