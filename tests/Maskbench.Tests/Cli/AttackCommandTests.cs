using System.Text.Json.Nodes;
using Maskbench.Evaluation;
using Maskbench.Tests.Evaluation;
using Maskbench.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

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
            var (code, stdout, stderr) = CliProcess.Run("attack", "--model", run, "--data", folder, "--attack", "pgd", "--steps", "5",
                "--no-random-start",
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

    static string MaskedRun(TempFolder temp, string folder) => SaveRun(temp, folder,
        Maskbench.Models.ModelFactory.Create("smallcnn", 4, 8, masked: true));

    /// <summary>A run folder (run.json and last.ckpt) holding <paramref name="model"/>, a masked classifier of the fixture store.</summary>
    static string SaveRun(TempFolder temp, string folder, Maskbench.Models.ImageClassifier model)
    {
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

    /// <summary>
    /// `--save-adversarial`: NumPy loads the array (store layout N×S×S×3), the float32 images differ from the clean ones
    /// only on foreground pixels and by at most each record's ε, the model's prediction at each saved image is the
    /// record's, fooled records are misclassified, and the uint8 file of the same seed is round(255·x) of the float32 one.
    /// The run also uses `--progress json`, whose lines on stderr must follow the attack.
    /// </summary>
    [SkippableFact]
    public void SaveAdversarialWritesImagesNumPyLoadsWithRecordsThatMatchThem()
    {
        var (temp, folder) = RobustnessEvaluatorTests.StoreFixture();
        using var _ = temp;
        torch.manual_seed(0);   // the initial weights too, so the outcome does not depend on which tests ran before
        var model = Maskbench.Models.ModelFactory.Create("smallcnn", 4, 8, masked: true);
        using (var ds = Maskbench.Data.DatasetStore.Open(folder))
        using (var all = Maskbench.Batching.DatasetBatches.Gather(ds.Split("test"), Enumerable.Range(0, ds.Split("test").Count).ToArray(), CPU))
        {
            // A few Adam steps on x ⊙ mask, so that some rows resist the small ε and some fall.
            torch.manual_seed(0);
            var optimizer = torch.optim.Adam(model.parameters(), 0.01);
            model.train();
            for (int step = 0; step < 60; step++)
            {
                optimizer.zero_grad();
                torch.nn.functional.cross_entropy(model.forward(all.Images * all.Masks), all.Labels).backward();
                optimizer.step();
            }
            model.eval();
        }
        string runPath = SaveRun(temp, folder, model);
        string[] Attack(string file, string dtype, params string[] more)
        {
            var (code, stdout, stderr) = CliProcess.Run(["attack", "--model", runPath, "--data", folder, "--attack", "pgd", "--steps", "5",
                "--eps-sweep", "4/255,1/2", "-n", "20", "--batch-size", "8", "--seed", "3", "--save-adversarial", file, "--adversarial-dtype", dtype,
                .. more]);
            Assert.True(code == 0, stderr + stdout);
            return stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        string floats = temp["adv/f.npy"], bytes = temp["adv/b.npy"], result = temp["result.json"];
        var progress = Attack(floats, "float32", "--progress", "json", "--out", result);
        Attack(bytes, "uint8");

        // NumPy's view of the files, against the dataset's clean images and masks.
        const string script = """
import sys, json, numpy as np
f, b, ds = np.load(sys.argv[1]), np.load(sys.argv[2]), sys.argv[3]
clean = (np.load(ds + "/test/images.npy")[:20].astype(np.float32) * np.float32(1 / 255)).astype(np.float64)  # as the batches hold them
mask = np.load(ds + "/test/masks.npy")[:20].astype(bool)
delta = np.abs(f.astype(np.float64) - clean)
print(json.dumps({"shape": list(f.shape), "dtype": str(f.dtype), "bdtype": str(b.dtype), "bshape": list(b.shape),
  "off": float(delta[~np.broadcast_to(mask[..., None], delta.shape)].max(initial=0)),
  "on": [float(delta[i][mask[i]].max(initial=0)) for i in range(20)],
  "rounded": bool((np.round(f.astype(np.float64) * 255) == b).all())}))
""";
        var numpy = JsonNode.Parse(Python.RunNumPy(script, floats, bytes, folder).Split('\n')[^1])!;
        Assert.Equal([20, 8, 8, 3], numpy["shape"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.Equal([20, 8, 8, 3], numpy["bshape"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.Equal("float32", numpy["dtype"]!.GetValue<string>());
        Assert.Equal("uint8", numpy["bdtype"]!.GetValue<string>());
        Assert.Equal(0.0, numpy["off"]!.GetValue<double>());
        Assert.True(numpy["rounded"]!.GetValue<bool>(), "uint8 file is not round(255·x) of the float32 one");

        var side = AdversarialRecords.Read(AdversarialExampleWriter.RecordsPathOf(floats));
        var report = RobustnessReport.FromJson(File.ReadAllText(result));
        Assert.Equal("float32", side.Dtype);
        Assert.Equal(20, side.Records.Count);
        Assert.Equal(Enumerable.Range(0, 20), side.Records.Select(r => r.Index));
        Assert.True(side.Records.Any(r => r.Fooled) && side.Records.Any(r => !r.Fooled),
            $"the fixture should have fooled and robust rows: {side.Records.Count(r => r.Fooled)} of 20 fooled, natural {report.NaturalAccuracy}");
        var on = numpy["on"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        for (int i = 0; i < 20; i++)
        {
            var r = side.Records[i];
            var outcome = report.Examples[i];
            Assert.Equal(outcome.Label, r.Label);
            Assert.Equal(outcome.CleanPrediction, r.CleanPrediction);
            Assert.Equal(outcome.FirstFoolingEpsilon is not null, r.Fooled);
            Assert.Equal(outcome.FirstFoolingEpsilon ?? 0.5, r.Epsilon, 12);
            Assert.Equal(outcome.Step, r.Step);
            Assert.True(on[i] <= r.Epsilon + 1e-6, $"row {i}: |δ| {on[i]} > ε {r.Epsilon}");
            if (r.Fooled) Assert.NotEqual(r.Label, r.Prediction);
            else Assert.True(r.Margin > 0, $"row {i}: robust with margin {r.Margin}");
        }
        Assert.True(on.Max() > 4.0 / 255 + 1e-6, "some row should use the larger ε");

        // The records' predictions are the model's at the saved pixels (masked model: x ⊙ mask).
        using (var view = Maskbench.Data.Store.NpyFile.Open(floats, "<f4", 20, 8, 8, 3))
        using (var ds = Maskbench.Data.DatasetStore.Open(folder))
        using (var batch = Maskbench.Batching.DatasetBatches.Gather(ds.Split("test"), Enumerable.Range(0, 20).ToArray(), CPU))
        {
            var x = tensor(view.Elements<float>(0, 20 * 8 * 8 * 3).ToArray(), [20, 8, 8, 3]).permute(0, 3, 1, 2);
            using var noGrad = no_grad();
            model.eval();
            var predictions = model.forward(x * batch.Masks).argmax(1).data<long>().ToArray();
            Assert.Equal(predictions, side.Records.Select(r => r.Prediction));
        }
        var bytesSide = AdversarialRecords.Read(AdversarialExampleWriter.RecordsPathOf(bytes));
        Assert.Equal("uint8", bytesSide.Dtype);
        Assert.Equal(side.Records.Select(r => (r.Index, r.Fooled, r.Step)), bytesSide.Records.Select(r => (r.Index, r.Fooled, r.Step)));

        // --progress json: every stderr line is a JSON object; the attack's task starts with 20 images and ends with 20 done.
        var events = progress.Select(line => JsonNode.Parse(line)!).ToArray();
        var start = Assert.Single(events, e => e["event"]!.GetValue<string>() == "start");
        Assert.Equal(20, start["total"]!.GetValue<long>());
        Assert.Equal("images", start["unit"]!.GetValue<string>());
        var end = Assert.Single(events, e => e["event"]!.GetValue<string>() == "end");
        Assert.Equal(20, end["done"]!.GetValue<long>());
        Assert.Contains(events, e => e["event"]!.GetValue<string>() == "progress" && e["done"]!.GetValue<long>() < 20);
        Assert.All(events, e => Assert.NotNull(e["time"]));
    }
}
