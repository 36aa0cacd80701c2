using Maskbench.Masks.Learned;
using Maskbench.Models;
using Maskbench.Runtime;
using Maskbench.Tests.Support;
using Maskbench.Training;
using static TorchSharp.torch;

namespace Maskbench.Tests.Masks.Learned;

public class MaskerRunTests
{
    /// <summary>The PyTorch module of docs/learned-masks.md, loading model.safetensors by its keys (torch 1.13, no safetensors package).</summary>
    const string PyTorchModule = """
import json, struct, sys, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
def block(i, o): return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(),
                                      nn.Conv2d(o, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU())
class MaskUNet(nn.Module):
    def __init__(self, width=16, depth=3, channels=3):
        super().__init__()
        w = [width << k for k in range(depth + 1)]
        self.down = nn.ModuleList([block(channels if k == 0 else w[k - 1], w[k]) for k in range(depth)])
        self.bottleneck = block(w[depth - 1], w[depth])
        self.up = nn.ModuleList([nn.ConvTranspose2d(w[k + 1], w[k], 2, stride=2) for k in range(depth)])
        self.decode = nn.ModuleList([block(2 * w[k], w[k]) for k in range(depth)])
        self.head = nn.Conv2d(w[0], 1, 1)
    def forward(self, x):
        x, skips = (x - 0.5) / 0.5, []
        for d in self.down: x = d(x); skips.append(x); x = F.max_pool2d(x, 2, 2)
        x = self.bottleneck(x)
        for k in reversed(range(len(self.down))): x = self.decode[k](torch.cat([skips[k], self.up[k](x)], 1))
        return self.head(x)
def read_safetensors(path):
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); out = {}
    dt = {'F32': np.float32, 'I64': np.int64}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']; out[k] = torch.from_numpy(np.frombuffer(b[8+n+s:8+n+e], dtype=dt[v['dtype']]).reshape(v['shape']).copy())
    return out
folder = sys.argv[1]
spec = json.load(open(folder + '/model.json'))['model']
m = MaskUNet(spec['baseWidth'], spec['depth'], spec['channels']); m.load_state_dict(read_safetensors(folder + '/model.safetensors')); m.eval()
check = read_safetensors(folder + '/check.safetensors')
with torch.no_grad(): z = m(check['inputs'])
print(float((z - check['logits']).abs().max()), float(check['logits'].abs().max()))
""";

    [SkippableFact]
    public void ExportedMaskerLoadsBackAndIntoThePyTorchModuleOfTheDocs()
    {
        manual_seed(8);
        using var dir = new TempFolder();
        var spec = new MaskerSpec { InputSize = 16, BaseWidth = 3, Depth = 2 };
        using var masker = new MaskUNet(spec);
        using (no_grad())
            foreach (var (name, buffer) in masker.named_buffers())
                if (name.EndsWith("running_var")) buffer.copy_(rand_like(buffer) + 0.5);
        masker.eval();
        var run = new MaskerRun(dir["masker"]);
        run.Write(masker, new MaskerInfo { Spec = spec, Options = new MaskerTrainingOptions(), Dataset = new DatasetIdentity("d", "00", "d"),
            Parameters = masker.ParameterCount });
        using var inputs = rand(3, 3, 16, 16);
        using var logits = masker.forward(inputs).detach();
        SafeTensorsFile.Write(Path.Combine(dir["masker"], "check.safetensors"), [("inputs", inputs), ("logits", logits)]);

        using var loaded = run.Load();
        Assert.True(loaded.forward(inputs).eq(logits).all().item<bool>(), "the reloaded masker computes another function");
        Assert.Equal(spec, run.ReadInfo().Spec);

        Skip.IfNot(File.Exists("/usr/bin/python3"), "/usr/bin/python3 is not installed");
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(PyTorchModule);
        psi.ArgumentList.Add(dir["masker"]);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Skip.If(stderr.Contains("No module named"), "python3-torch or python3-numpy is not installed");
        Assert.True(p.ExitCode == 0, stderr);
        var parts = stdout.Trim().Split(' ').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(parts[1] > 1e-3, "trivial logits");
        Assert.True(parts[0] <= 1e-5 * parts[1], $"PyTorch logits differ by {parts[0]} (scale {parts[1]})");
    }
}
