// Robust accuracy of a trained classifier under the masked threat model (δ on foreground pixels only), with
// Maskbench as a library. Usage: RobustAccuracy RUN_FOLDER DATASET [N]  (RUN_FOLDER from `maskbench train`).
using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Evaluation;
using Maskbench.Progress;
using TorchSharp;

if (args.Length < 2) { Console.Error.WriteLine("usage: RobustAccuracy RUN_FOLDER DATASET [N]"); return 2; }
var model = AttackedModel.FromRunFolder(args[0], torch.CPU);          // the TorchSharp module, in eval mode
using var dataset = DatasetStore.Open(args[1], verifyHashes: false);
var attack = AttackRegistry.Create(new AttackRequest { Name = "pgd", Steps = 10, Seed = 0 });
var options = new EvaluationOptions
{
    Epsilons = [8 / 255.0],
    Region = ThreatRegion.Foreground,                                  // the masked threat model
    Limit = args.Length > 2 ? int.Parse(args[2]) : null,
};
var report = RobustnessEvaluator.Evaluate(dataset.Split("test"), "test", model, attack, options, NullProgress.Instance);
var pgd = report.Sweep[0];
Console.WriteLine($"{report.Model}: natural accuracy {report.NaturalAccuracy:P1}, " +
                  $"robust accuracy {pgd.RobustAccuracy:P1} ({pgd.Robust}/{report.Count}) at ε = 8/255, {report.Threat} threat");
return 0;
