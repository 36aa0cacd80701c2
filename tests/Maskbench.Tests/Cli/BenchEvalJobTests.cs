using System.Text.Json;
using Maskbench.Bench;
using Maskbench.Bench.Entries;
using Maskbench.Cli.Commands;
using Maskbench.Data;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Tests.Support;
using static TorchSharp.torch;

namespace Maskbench.Tests.Cli;

/// <summary>
/// `maskbench bench eval-job --model --data --images`: the job both sides run is the given model's weights and the
/// first N test images with their true labels, checked here against the dataset's bytes and the model's own tensors.
/// </summary>
public class BenchEvalJobTests
{
    const int Size = 32, Classes = 3, TestCount = 12;

    /// <summary>
    /// A dataset of random images (test split of <see cref="TestCount"/> rows) and a plain VGG-11 (width 1/16) as exported weights.
    /// </summary>
    static (string Data, string Model, SplitArrays Test, ImageClassifier Classifier) Job(TempFolder dir, bool masked = false, int classes = Classes)
    {
        var test = SyntheticSplits.Random(TestCount, Size, Classes, seed: 5);
        DatasetStore.Write(dir["data"], SyntheticSplits.Manifest(Size, Classes),
            new Dictionary<string, SplitArrays> { ["train"] = SyntheticSplits.Random(6, Size, Classes, seed: 4), ["test"] = test });
        manual_seed(3);
        var model = ModelFactory.Create("vgg11", classes, Size, width: 1.0 / 16, masked: masked);
        model.eval();
        Directory.CreateDirectory(dir["model"]);
        File.WriteAllText(dir["model/model.json"], "{\"model\": " + JsonSerializer.Serialize(model.Spec, Maskbench.Files.JsonFormat.Options) + "}");
        SafeTensorsFile.Write(dir["model/model.safetensors"], model.state_dict().Select(kv => (kv.Key, kv.Value)));
        return (dir["data"], dir["model"], test, model);
    }

    [Fact]
    public void The_job_holds_the_models_weights_and_the_first_test_images_with_their_labels()
    {
        using var dir = new TempFolder();
        var (data, modelPath, test, model) = Job(dir);
        using var _ = model;
        int images = 5;
        string setting = EvalJobBenchmark.WriteTrainedJob(dir["job"], modelPath, data, ref images);
        Assert.Equal(5, images);
        Assert.StartsWith("trained vgg11", setting);
        Assert.Contains("first 5 images", setting);

        var job = SafeTensorsFile.Read(dir["job/data.safetensors"]).Tensors.ToDictionary(t => t.Name, t => t.Tensor);
        Assert.Equal([5L, 3, Size, Size], job["inputs"].shape);
        // The dataset's bytes (rows 0..4, HWC) as the model sees them: channel c of pixel p is byte * (1/255) in float32, as DatasetBatches
        // documents.
        var inputs = job["inputs"].data<float>().ToArray();
        int px = Size * Size;
        for (int row = 0; row < 5; row++)
            for (int p = 0; p < px; p++)
                for (int c = 0; c < 3; c++)
                    Assert.Equal(test.Images[(row * px + p) * 3 + c] * (1f / 255f), inputs[(row * 3 + c) * px + p]);
        Assert.Equal(test.Labels.Take(5), job["labels"].data<long>().ToArray());

        var weights = SafeTensorsFile.Read(dir["job/model.safetensors"]).Tensors.ToDictionary(t => t.Name, t => t.Tensor);
        var state = model.state_dict();
        Assert.Equal(state.Keys.Order(), weights.Keys.Order());
        foreach (var (key, value) in state)
            Assert.True(value.eq(weights[key]).all().item<bool>(), key);
        var spec = JsonDocument.Parse(File.ReadAllText(dir["job/model.json"])).RootElement.GetProperty("model")
            .Deserialize<ModelSpec>(Maskbench.Files.JsonFormat.Options)!;
        Assert.Equal(model.Spec.Description, spec.Description);
    }

    [Fact]
    public void The_options_are_refused_where_they_cannot_take_effect()
    {
        static string? Problem(BenchCommand.Settings settings) => settings.Validate() is { Successful: false } r ? r.Message : null;
        Assert.Contains("--model and --data go together", Problem(new() { Names = ["eval-job"], Model = "m" }));
        Assert.Contains("--model and --data go together", Problem(new() { Names = ["eval-job"], Data = "d" }));
        Assert.Contains("name eval-job", Problem(new() { Names = ["pgd"], Model = "m", Data = "d" }));
        Assert.Contains("name eval-job", Problem(new() { Names = ["train"], Images = 10 }));
        Assert.Contains("--images 0: expected an integer in [1, 100000]", Problem(new() { Names = ["eval-job"], Images = 0 }));
        Assert.Null(Problem(new() { Names = ["pgd", "eval-job"], Model = "m", Data = "d", Images = 1000 }));
        Assert.Null(Problem(new() { Model = "m", Data = "d" }));   // no names: every entry, eval-job among them
    }

    [Fact]
    public void More_images_than_the_test_split_holds_means_all_of_them()
    {
        using var dir = new TempFolder();
        var (data, modelPath, _, model) = Job(dir);
        using var _ = model;
        int images = 1000;
        EvalJobBenchmark.WriteTrainedJob(dir["job"], modelPath, data, ref images);
        Assert.Equal(TestCount, images);
        Assert.Equal(TestCount, SafeTensorsFile.Read(dir["job/data.safetensors"]).Tensors.Single(t => t.Name == "labels").Tensor.shape[0]);
    }

    [Fact]
    public void A_masked_model_or_one_of_other_classes_is_refused_by_name()
    {
        using (var dir = new TempFolder())
        {
            var (data, modelPath, _, model) = Job(dir, masked: true);
            using var _ = model;
            int images = 4;
            var e = Assert.Throws<MaskbenchException>(() => EvalJobBenchmark.WriteTrainedJob(dir["job"], modelPath, data, ref images));
            Assert.Contains("masked model", e.Message);
            Assert.Contains(modelPath, e.Message);
        }
        using (var dir = new TempFolder())
        {
            var (data, modelPath, _, model) = Job(dir, classes: 5);
            using var _ = model;
            int images = 4;
            var e = Assert.Throws<MaskbenchException>(() => EvalJobBenchmark.WriteTrainedJob(dir["job"], modelPath, data, ref images));
            Assert.Contains("3 classes", e.Message);
        }
    }

    /// <summary>
    /// The options reach the entry: run on the exported model, both sides see the same model and images, so our clean
    /// accuracy equals PyTorch's (true labels: a random network gets some wrong), and the figures say which job ran.
    /// </summary>
    [SkippableFact]
    public void The_entry_runs_the_given_model_on_the_given_images_on_both_sides()
    {
        using var dir = new TempFolder();
        var (data, modelPath, _, model) = Job(dir);
        model.Dispose();
        Directory.CreateDirectory(dir["work"]);
        var context = new BenchmarkContext
        {
            WorkDirectory = dir["work"], Progress = NullProgress.Instance, Quick = true,
            Options = new BenchmarkOptions { Model = modelPath, Data = data, Images = 6 },
        };
        var result = new EvalJobBenchmark().Run(context);
        Assert.Contains(result.Notes, n => n.StartsWith("setting: trained vgg11") && n.Contains("first 6 images"));
        double Figure(string name) => result.Figures.Single(f => f.Name == name).Value;
        Skip.If(!result.Figures.Any(f => f.Name == "PyTorch fp32: robust accuracy"), "no PyTorch reference: " + string.Join("; ", result.Notes));
        double ours = Figure("ours: clean accuracy");
        Assert.InRange(ours, 0, 100);
        foreach (string mode in new[] { "fp32", "bf16" })
        {
            var figure = result.Figures.Single(f => f.Name == $"PyTorch {mode}: robust accuracy");
            Assert.Contains($"clean {ours:F1}%", figure.Note);
        }
    }
}
