using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maskbench.Progress;
using Maskbench.Runtime;
using TorchSharp;

namespace Maskbench.Bench;

/// <summary>Runs entries in order and collects their figures with the machine facts that make them comparable.</summary>
public static class BenchmarkRunner
{
    public static JsonObject Run(IReadOnlyList<IBenchmark> entries, IProgressSink progress, bool quick,
        Action<IBenchmark, BenchmarkResult>? onResult = null, BenchmarkOptions? options = null)
    {
        TorchRuntime.EnsureLoaded();
        string work = Path.Combine(Path.GetTempPath(), "maskbench-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var results = new JsonArray();
        try
        {
            foreach (var entry in entries)
            {
                var context = new BenchmarkContext { WorkDirectory = Path.Combine(work, entry.Name), Progress = progress, Quick = quick,
                    Options = options ?? new() };
                Directory.CreateDirectory(context.WorkDirectory);
                BenchmarkResult result;
                try { result = entry.Run(context); }
                catch (MaskbenchException e)
                {
                    result = new BenchmarkResult();
                    result.Notes.Add("failed: " + e.Message);
                }
                onResult?.Invoke(entry, result);
                results.Add(new JsonObject
                {
                    ["name"] = entry.Name,
                    ["description"] = entry.Description,
                    ["figures"] = new JsonArray(result.Figures.Select(f => (JsonNode)new JsonObject
                    {
                        ["name"] = f.Name, ["value"] = f.Value, ["unit"] = f.Unit, ["note"] = f.Note,
                    }).ToArray()),
                    ["notes"] = new JsonArray(result.Notes.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
                });
            }
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
        return new JsonObject
        {
            ["machine"] = Machine(),
            ["quick"] = quick,
            ["options"] = new JsonObject { ["model"] = options?.Model, ["data"] = options?.Data, ["images"] = options?.Images },
            ["entries"] = results,
        };
    }

    static JsonObject Machine()
    {
        var m = new JsonObject
        {
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["cpu"] = CpuModel(),
            ["logical_cores"] = Environment.ProcessorCount,
            ["torch_threads"] = torch.get_num_threads(),
            ["os"] = RuntimeInformation.OSDescription,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["torchsharp"] = TorchRuntime.TorchSharpVersion,
            ["libtorch"] = torch.__version__,
        };
        return m;
    }

    static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException) { return RuntimeInformation.ProcessArchitecture.ToString(); }
    }

    public static void WriteJson(JsonObject report, string path)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(tmp, path, overwrite: true);
    }
}
