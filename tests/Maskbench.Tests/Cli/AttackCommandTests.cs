using System.Text.Json.Nodes;
using Maskbench.Evaluation;
using Maskbench.Tests.Evaluation;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Cli;

/// <summary>Shares the trained fixture model, which a bf16 attack converts in place: these classes run one at a time.</summary>
[Collection(Maskbench.Tests.Attacks.TrainedFixture.Collection)]
public class AttackCommandTests
{
    /// <summary>
    /// An independent PGD: PyTorch (Debian's python3-torch) trains a small CNN on the stored images, saves it as
    /// TorchScript, and runs its own L∞ PGD (no random start, an example counts as fooled if any iterate fools it).
    /// `maskbench attack` on the exported model must find the same natural and robust accuracy.
    /// </summary>
    [SkippableTheory]
    [InlineData("1")]
    [InlineData("2")]   // with two threads a wrong kernel was seen to answer differently from call to call
    public void AttackCommandAgreesWithAPyTorchPgdOnAnExportedModel(string threads)
    {
        var (temp, folder) = RobustnessEvaluatorTests.StoreFixture();
        using var _ = temp;
        const string script = """
import sys, json, numpy as np
try:
    import torch
except ImportError:
    print("NO_TORCH"); sys.exit(0)
out, ds = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
torch.set_num_threads(1)
x = torch.tensor(np.load(ds + "/test/images.npy")).permute(0, 3, 1, 2).float() / 255
y = torch.tensor(np.load(ds + "/test/labels.npy")).long()
net = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(6 * 64, 4))
opt = torch.optim.Adam(net.parameters(), 0.01)
for _ in range(80):
    opt.zero_grad(); torch.nn.functional.cross_entropy(net(x), y).backward(); opt.step()
net.eval()
torch.jit.script(net).save(out)
eps, alpha, steps = 0.12, 0.03, 10
with torch.no_grad():
    natural = (net(x).argmax(1) == y).float().mean().item()
fooled = torch.zeros(len(y), dtype=torch.bool)
xa = x.clone()
for k in range(steps + 1):
    xa.requires_grad_(True)
    logits = net(xa)
    fooled |= logits.argmax(1) != y
    if k == steps: break
    g, = torch.autograd.grad(torch.nn.functional.cross_entropy(logits, y, reduction="sum"), xa)
    xa = torch.min(torch.max(xa.detach() + alpha * g.sign(), x - eps), x + eps).clamp(0, 1)
print(json.dumps({"natural": natural, "robust": 1 - fooled.float().mean().item(), "n": len(y)}))
""";
        string model = temp["model.pt"];
        string output = Python.RunNumPy(script, model, folder);
        Skip.If(output.Contains("NO_TORCH"), "python3-torch is not installed");
        var reference = JsonNode.Parse(output.Split('\n')[^1])!;
        string result = temp["out/result.json"];
        var (code, stdout, stderr) = CliProcess.Run("attack", "--model", model, "--data", folder, "--split", "test", "--attack", "pgd",
            "--eps", "0.12", "--steps", "10", "--step-size", "3/100", "--no-random-start", "--threat", "full", "--threads", threads, "--out", result);
        Assert.True(code == 0, stderr + stdout);
        var report = RobustnessReport.FromJson(File.ReadAllText(result));
        int n = reference["n"]!.GetValue<int>();
        Assert.Equal(n, report.Count);
        Assert.Equal(reference["natural"]!.GetValue<double>(), report.NaturalAccuracy, 6);
        double robust = reference["robust"]!.GetValue<double>();
        Assert.True(robust < report.NaturalAccuracy, "the reference attack should fool something");
        // Float differences between libtorch builds may flip a borderline example; allow one of 64.
        Assert.True(Math.Abs(robust - report.Sweep[0].RobustAccuracy) <= 1.0 / n + 1e-9, $"ours {report.Sweep[0].RobustAccuracy}, PyTorch {robust}");
        // The TorchScript model was checked whole against float64 at the batch sizes it ran, and the result says so.
        Assert.NotNull(report.Kernels);
        Assert.Contains(report.Kernels!.Uses, u => u.Subject.StartsWith("TorchScript model.pt float32", StringComparison.Ordinal));
        Assert.All(report.Kernels.Uses, u => Assert.True(u.Route == "float64" || u.DirectPassed, u.Subject));
    }

    [Theory]
    [InlineData("reroute")]
    [InlineData("float64")]
    public void KernelRouteOptionReachesTheConvolutionsAndKeepsTheResult(string policy)
    {
        var (temp, folder) = RobustnessEvaluatorTests.StoreFixture();
        using var _ = temp;
        string run = MaskedRun(temp, folder);
        var reports = new Dictionary<string, RobustnessReport>();
        foreach (var route in new[] { "auto", policy })
        {
            string result = temp[$"{route}.json"];
            var (code, stdout, stderr) = CliProcess.Run("attack", "--model", run, "--data", folder, "--attack", "pgd", "--steps", "5", "--no-random-start",
                "-n", "20", "--kernel-route", route, "--threads", "1", "--out", result);
            Assert.True(code == 0, stderr + stdout);
            reports[route] = RobustnessReport.FromJson(File.ReadAllText(result));
            Assert.Contains("kernels:", stdout);
        }
        var kernels = reports[policy].Kernels!;
        Assert.Equal(policy, kernels.Policy);
        Assert.True(kernels.Checked > 0);
        Assert.All(kernels.Uses, u => Assert.NotEqual("direct", u.Route));
        if (policy == "float64") Assert.All(kernels.Uses, u => Assert.Equal("float64", u.Route));
        Assert.Equal(reports["auto"].NaturalAccuracy, reports[policy].NaturalAccuracy);
        Assert.True(Math.Abs(reports["auto"].Sweep[0].RobustAccuracy - reports[policy].Sweep[0].RobustAccuracy) <= 1.0 / 20 + 1e-9);
        var (bad, _, error) = CliProcess.Run("attack", "--model", run, "--data", folder, "--kernel-route", "fast");
        Assert.NotEqual(0, bad);
        Assert.Contains("expected auto, reroute or float64", error);
    }

    static string MaskedRun(TempFolder temp, string folder)
    {
        var model = Maskbench.Models.ModelFactory.Create("smallcnn", 4, 8, masked: true);
        var run = new Maskbench.Training.RunFolder(temp["run"]);
        Directory.CreateDirectory(run.Path);
        run.WriteInfo(new Maskbench.Training.RunInfo
        {
            Model = model.Spec,
            Options = new Maskbench.Training.TrainingOptions { Masked = true },
            Dataset = new Maskbench.Training.DatasetIdentity(folder, "0", "fixture"),
        });
        Maskbench.Training.Checkpoint.Save(run.Last, model, null, 1, []);
        return run.Path;
    }

    [Fact]
    public void AFolderThatIsNotARunGivesAnActionableError()
    {
        var (temp, folder) = RobustnessEvaluatorTests.StoreFixture();
        using var _ = temp;
        Directory.CreateDirectory(temp["run"]);
        var (code, _, stderr) = CliProcess.Run("attack", "--model", temp["run"], "--data", folder);
        Assert.Equal(1, code);
        Assert.Contains(temp["run"], stderr);
        Assert.Contains("run.json", stderr);
    }

    /// <summary>A masked run folder written with the training code: attacked under the foreground threat by default.</summary>
    [Fact]
    public void AttacksAMaskedRunFolderUnderTheForegroundThreatByDefault()
    {
        var (temp, folder) = RobustnessEvaluatorTests.StoreFixture();
        using var _ = temp;
        string run = MaskedRun(temp, folder);
        string result = temp["result.json"];
        var (code, stdout, stderr) = CliProcess.Run("attack", "--model", run, "--data", folder, "--attack", "apgd-ce", "--steps", "3",
            "--eps-sweep", "0,8/255", "-n", "20", "--out", result);
        Assert.True(code == 0, stderr + stdout);
        var report = RobustnessReport.FromJson(File.ReadAllText(result));
        Assert.Equal("foreground", report.Threat);
        Assert.Equal(20, report.Count);
        Assert.Equal(report.NaturalAccuracy, report.Sweep[0].RobustAccuracy);
        Assert.True(report.Sweep[1].RobustAccuracy <= report.Sweep[0].RobustAccuracy);
    }
}
