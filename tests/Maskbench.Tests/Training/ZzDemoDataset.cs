using Maskbench.Data;
using Maskbench.Tests.Support;
namespace Maskbench.Tests.Training;
public class ZzDemoDataset
{
    [SkippableFact]
    public void Write()
    {
        var path = Environment.GetEnvironmentVariable("MB_DEMO");
        Skip.If(path is null);
        int n = int.Parse(Environment.GetEnvironmentVariable("MB_N") ?? "512");
        var train = TrainingData.Squares(n, 32, 11);
        var test = TrainingData.Squares(128, 32, 12);
        DatasetStore.Write(path!, SyntheticSplits.Manifest(32, 2), new Dictionary<string, SplitArrays> { ["train"] = train, ["test"] = test });
    }
}
