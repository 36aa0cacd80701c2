using System.Text.Json.Nodes;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Tests.Support;
using Maskbench.Training;
using static TorchSharp.torch;
using Maskbench.Files;

namespace Maskbench.Tests.Training;

public class ModelExportTests
{
    [Fact]
    public void Export_then_import_gives_identical_tensors_and_description()
    {
        var data = TrainingData.Squares(40, 32, seed: 8);
        using var dir = new TempFolder();
        var spec = ModelFactory.Create("vgg11", 2, 32, width: 1.0 / 16, masked: true).Spec with { Mean = [0.1f, 0.2f, 0.3f],
            Std = [0.5f, 0.6f, 0.7f] };
        var options = new TrainingOptions { Epochs = 1, BatchSize = 16, ValidationCount = 8, ValidationSteps = 1, Masked = true };
        new Trainer(options, NullProgress.Instance).Train(data, spec, new DatasetIdentity("x", "h", "squares"), ["dark", "bright"], dir["run"],
            false, CPU);

        ModelExport.Export(dir["run"], dir["export"]);
        var description = JsonNode.Parse(File.ReadAllText(dir["export/model.json"]))!;
        Assert.Equal("vgg11", description["model"]!["arch"]!.GetValue<string>());
        Assert.True(description["model"]!["masked"]!.GetValue<bool>());
        Assert.Equal(0.6f, description["model"]!["std"]![1]!.GetValue<float>());
        Assert.Contains("features.0: Conv2d(3, 4, kernel_size=3, padding=1)", description["layers"]!.AsArray().Select(n => n!.GetValue<string>()));
        var exported = SafeTensorsFile.Read(dir["export/model.safetensors"]).Tensors;
        Assert.Contains(exported, t => t.Name == "features.1.running_mean");
        Assert.Contains(exported, t => t.Name == "classifier.weight");

        ModelExport.Import(dir["export"], dir["imported"]);
        var info = new RunFolder(dir["imported"]).ReadInfo();
        Assert.Equal(spec.Description, info.Model.Description);
        Assert.Equal(["dark", "bright"], info.ClassNames);
        var original = SafeTensorsFile.Read(dir["run/best.ckpt"]).Tensors.Where(t => t.Name.StartsWith("model.")).ToList();
        var imported = SafeTensorsFile.Read(dir["imported/last.ckpt"]).Tensors;
        Assert.Equal(original.Select(t => t.Name), imported.Select(t => t.Name));
        for (int i = 0; i < original.Count; i++)
        {
            Assert.Equal(original[i].Tensor.dtype, imported[i].Tensor.dtype);
            Assert.True(original[i].Tensor.eq(imported[i].Tensor).all().item<bool>(), original[i].Name);
        }
    }

    [Fact]
    public void Import_names_mismatched_weights()
    {
        using var dir = new TempFolder();
        var model = ModelFactory.Create("vgg11", 2, 32, width: 1.0 / 16);
        Directory.CreateDirectory(dir["w"]);
        File.WriteAllText(dir["w/model.json"], "{\"model\": " + System.Text.Json.JsonSerializer.Serialize(model.Spec with { Classes = 3 },
            JsonFormat.Options) + "}");
        SafeTensorsFile.Write(dir["w/model.safetensors"], model.state_dict().Select(kv => (kv.Key, kv.Value)));
        var e = Assert.Throws<DataFormatException>(() => ModelExport.Import(dir["w"], dir["run"]));
        Assert.Contains("classifier.weight", e.Message);
    }
}
