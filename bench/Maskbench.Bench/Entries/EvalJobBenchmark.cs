using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maskbench.Attacks;
using Maskbench.Batching;
using Maskbench.Data;
using Maskbench.Evaluation;
using Maskbench.Models;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Bench.Entries;

/// <summary>
/// The whole evaluation job, timed end to end as a user runs it: robust accuracy of a classifier under PGD-20 and
/// APGD-CE-100 at ε = 8/255 (load the weights, a float32 clean pass, the attacks in turn on the images still robust,
/// float32 verdicts), ours (AttackEnsemble: one shared clean pass, early stop, bf16 search) against the same job as a
/// PyTorch user writes it (reference/eval_job_reference.py: a plain loop, every step on every attacked image, float32
/// eager and bfloat16 autocast channels-last). Both sides read the same weights and images from files written here.
/// With <see cref="BenchmarkOptions.Model"/> and <see cref="BenchmarkOptions.Data"/> the model is a trained plain
/// classifier and the images are the first N of the dataset's test split with their true labels (the rows
/// `maskbench attack -n N` evaluates); masked models are refused (the reference feeds whole images and perturbs every
/// pixel). Without them, VGG-19 (full width, 10 classes, 32x32) with random weights, batch norm calibrated on random
/// images, labels = its own predictions (every image correctly classified, every one attacked): as easy to fool as a
/// naturally trained network, which is where early stop saves most. Sizes: 256 images (--quick: 16 at width 1/8);
/// <see cref="BenchmarkOptions.Images"/> sets the count.
/// </summary>
public sealed class EvalJobBenchmark : IBenchmark
{
    public string Name => "eval-job";
    public string Description => "robust accuracy job (VGG-19, PGD-20 + APGD-CE-100) end to end vs PyTorch fp32 and bf16 user loops";

    const int Classes = 10, Size = 32, Batch = 128;
    const double Epsilon = 8.0 / 255;

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var options = context.Options;
        int images = options.Images ?? (context.Quick ? 16 : 256);
        var result = new BenchmarkResult();
        string folder = Path.Combine(context.WorkDirectory, "job");
        string setting = options.Model is null
            ? WriteRandomJob(folder, images, width: context.Quick ? 0.125 : 1.0)
            : WriteTrainedJob(folder, options.Model, options.Data ?? throw new MaskbenchException(
            "eval-job: --model needs --data (the dataset whose test images to attack)"), ref images);
        result.Notes.Add("setting: " + setting);

        // Ours first, then each reference mode (the sides are whole jobs of tens of seconds; interleaving finer would
        // split a job).
        double warmUp = WarmUp(folder);
        var ours = RunOurs(folder);
        var theirs = new Dictionary<string, JsonNode>();
        string? note = null;
        foreach (var mode in new[] { "fp32", "bf16" })
        {
            var reference = PythonReference.Run("eval_job_reference.py", [folder, Batch.ToString(), get_num_threads().ToString(), mode], out note,
                timeoutSeconds: 3600);
            if (reference is not null) theirs[mode] = reference;
        }
        result.Add("ours: whole job", ours.Total, "s", $"load {ours.Load:F2} s, clean pass {ours.Clean:F2} s, attacks {ours.Attacks:F2} s " +
            $"(PGD-20 {ours.PgdSeconds:F2} s, {ours.PgdGradients} gradients; APGD-CE-100 {ours.ApgdSeconds:F2} s, {ours.ApgdGradients} gradients; "
            + $"the ensemble itself {ours.Attacks - ours.PgdSeconds - ours.ApgdSeconds:F2} s), bf16 search, early stop");
        result.Add("ours: kernel check and warm-up", warmUp, "s", "one untimed job on 2 images first: the kernel check's probes (once per machine, "
            + "then cached) and first-call costs");
        double loopGradients = 20 * ours.CleanAccuracy + 100 * ours.PgdRobust;
        result.Add("ours: gradient evaluations per image", (double)ours.Gradients / images, "1",
            $"a loop without early stop makes {loopGradients:F1} (PGD-20 on the correctly classified, APGD-CE-100 on PGD's survivors; ours counts "
            + "fewer where an attack fooled early)");
        result.Add("ours: clean accuracy", 100 * ours.CleanAccuracy, "%");
        result.Add("ours: robust accuracy", 100 * ours.Robust, "%", $"PGD-20 alone {100 * ours.PgdRobust:F1}%");
        if (theirs.Count == 0) result.Notes.Add(note ?? "no reference");
        foreach (var (mode, reference) in theirs)
        {
            double total = reference["total"]!.GetValue<double>();
            var seconds = reference["seconds"]!.AsObject();
            string stages = string.Join(", ", seconds.Select(kv => $"{kv.Key} {kv.Value!.GetValue<double>():F2} s"));
            double robust = reference["robust_accuracy"]!.GetValue<double>();
            result.Add($"PyTorch {mode}: whole job", total, "s", $"torch {reference["torch"]}; {stages}");
            result.Add($"PyTorch {mode}: robust accuracy", 100 * robust, "%",
                $"PGD-20 alone {100 * reference["pgd_robust_accuracy"]!.GetValue<double>():F1}%, clean "
                    + $"{100 * reference["clean_accuracy"]!.GetValue<double>():F1}%");
            result.Add($"ours / PyTorch {mode}", total / ours.Total, "x", mode == "fp32" ? "target ≥ 5" : "target ≥ 2");
            result.Add($"robust accuracy ours − PyTorch {mode}", 100 * (ours.Robust - robust), "pp", "target within ±0.5");
        }
        return result;
    }

    /// <summary>
    /// The job on a trained model: its weights as `maskbench export` writes them and the first <paramref name="images"/>
    /// rows of <paramref name="dataPath"/>'s test split (all of them when it has fewer; <paramref name="images"/> is set
    /// to the count used). Returns the setting in words.
    /// </summary>
    internal static string WriteTrainedJob(string folder, string modelPath, string dataPath, ref int images)
    {
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        var (model, source) = AttackedModel.LoadClassifier(modelPath, CPU);
        using var _ = model;
        var spec = model.Spec;
        if (spec.Masked)
            throw new MaskbenchException($"{modelPath}: a masked model; eval-job compares plain models only (the PyTorch reference feeds whole "
                + "images and perturbs every pixel)");
        if (spec.Channels != 3)
            throw new MaskbenchException($"{modelPath}: a {spec.Channels}-channel model; eval-job needs a colour (3-channel) classifier");
        using var dataset = DatasetStore.Open(dataPath);
        if (!dataset.HasSplit("test")) throw new MaskbenchException($"{dataPath}: no test split");
        var split = dataset.Split("test");
        if (split.ImageSize != spec.InputSize || split.ClassCount != spec.Classes)
            throw new MaskbenchException($"{dataPath}: {split.ClassCount} classes at {split.ImageSize}x{split.ImageSize}, but {modelPath} is "
                + $"{spec.Description}");
        images = Math.Min(images, split.Count);
        using var batch = DatasetBatches.Gather(split, Enumerable.Range(0, images).ToArray(), CPU);
        WriteModel(folder, model);
        SafeTensorsFile.Write(Path.Combine(folder, "data.safetensors"), [("inputs", batch.Images), ("labels", batch.Labels)]);
        return $"trained {spec.Description} ({source}); the first {images} images of {Path.GetFullPath(dataPath)} test, true labels";
    }

    /// <summary>
    /// The job's inputs as files for a random-weight VGG-19: the model as `maskbench export` writes it (model.json,
    /// model.safetensors) and random images labelled with its predictions. Returns the setting in words.
    /// </summary>
    static string WriteRandomJob(string folder, int images, double width)
    {
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = ModelFactory.Create("vgg19", Classes, Size, width: width);
        var x = rand(images, 3, Size, Size);
        // Batch-norm statistics from the images themselves (momentum 1), as in the `pgd` entry: a fresh network's
        // logits otherwise barely vary across inputs.
        foreach (var batchNorm in model.modules().OfType<TorchSharp.Modules.BatchNorm2d>()) batchNorm.momentum = 1.0;
        model.train();
        using (no_grad()) model.call(x.narrow(0, 0, Math.Min(images, 256))).Dispose();
        model.eval();
        Tensor y;
        using (no_grad()) y = cat(Enumerable.Range(0, (images + Batch - 1) / Batch)
            .Select(b => model.call(x.narrow(0, b * Batch, Math.Min(Batch, images - b * Batch))).argmax(1)).ToList());
        WriteModel(folder, model);
        SafeTensorsFile.Write(Path.Combine(folder, "data.safetensors"), [("inputs", x), ("labels", y)]);
        return $"random weights: VGG-19 width {width}, {Classes} classes, {images} random images, labels = its predictions";
    }

    /// <summary>model.safetensors (PyTorch keys) and model.json ({"model": spec}), which both sides build the network from.</summary>
    static void WriteModel(string folder, ImageClassifier model)
    {
        SafeTensorsFile.Write(Path.Combine(folder, ModelExport.WeightsFile), model.state_dict().Select(kv => (kv.Key, kv.Value)));
        File.WriteAllText(Path.Combine(folder, ModelExport.DescriptionFile),
            new JsonObject { ["model"] = JsonSerializer.SerializeToNode(model.Spec, Maskbench.Files.JsonFormat.Options) }.ToJsonString());
    }

    sealed record OurRun(double Total, double Load, double Clean, double Attacks, long Gradients, double CleanAccuracy, double Robust,
        double PgdRobust,
        double PgdSeconds, long PgdGradients, double ApgdSeconds, long ApgdGradients);

    /// <summary>A member of the ensemble with its own clock and gradient count, to say where the attacks' time goes.</summary>
    sealed class TimedAttack(IAttack inner) : IAttack
    {
        public string Name => inner.Name;
        public double Seconds { get; private set; }
        public long Gradients { get; private set; }

        public AttackResult Run(IAttackTarget target, Tensor x, Tensor y, ThreatModel threat, Tensor? exclude = null, Tensor? cleanLogits = null,
            int? window = null)
        {
            var clock = Stopwatch.StartNew();
            var result = inner.Run(target, x, y, threat, exclude, cleanLogits, window);
            Seconds += clock.Elapsed.TotalSeconds;
            Gradients += result.GradientEvaluations;
            return result;
        }
    }

    /// <summary>The job on the first two images, untimed in the job's figures: the kernel check probes each new shape
    /// once per machine (cached on disk after), which a user pays on a first run only.</summary>
    static double WarmUp(string folder)
    {
        var clock = Stopwatch.StartNew();
        RunOurs(folder, limit: 2);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The job with the library: load, one clean pass per batch shared by both attacks, the ensemble (early stop, bf16 search, float32 verdicts).
    /// </summary>
    static OurRun RunOurs(string folder, long limit = long.MaxValue)
    {
        using var scope = NewDisposeScope();
        var total = Stopwatch.StartNew();
        var spec = JsonSerializer.Deserialize<JsonObject>(File.ReadAllText(Path.Combine(folder, ModelExport.DescriptionFile)))![
            "model"].Deserialize<ModelSpec>(Maskbench.Files.JsonFormat.Options)!;
        using var model = ModelFactory.Create(spec);
        var (weights, _) = SafeTensorsFile.Read(Path.Combine(folder, ModelExport.WeightsFile));
        model.load_state_dict(weights.ToDictionary(t => t.Name, t => t.Tensor));
        model.eval();
        var (data, _) = SafeTensorsFile.Read(Path.Combine(folder, "data.safetensors"));
        var x = data.Single(t => t.Name == "inputs").Tensor;
        var y = data.Single(t => t.Name == "labels").Tensor;
        double load = total.Elapsed.TotalSeconds;
        var target = new ModuleTarget(model);
        var threat = ThreatModel.Linf(Epsilon);
        var pgd = new TimedAttack(new PgdAttack { Steps = 20, StepSize = 2.0 / 255, Precision = Precision.Bf16 });
        var apgd = new TimedAttack(new ApgdAttack { Steps = 100, Precision = Precision.Bf16 });
        // Attack by attack over all the images (the reference loop's order), each member working through the open rows
        // 128 at a time: PGD admits waiting rows as others are fooled or finish, so its batch stays full.
        var ensemble = new AttackEnsemble("pgd-20 + apgd-ce-100", [pgd, apgd]) { MemberBatch = Batch };
        double clean = 0, attacks = 0;
        long gradients = 0, correct = 0, robust = 0, pgdRobust = 0;
        long count = Math.Min(limit, x.shape[0]);
        using (NewDisposeScope())
        using (Runtime.NoCollectionZone.Enter())
        {
            var xs = x.narrow(0, 0, count);
            var ys = y.narrow(0, 0, count);
            var clock = Stopwatch.StartNew();
            Tensor logits;
            using (target.Prepare(Precision.Fp32))
            using (no_grad())
                logits = cat(Enumerable.Range(0, (int)((count + Batch - 1) / Batch))
                    .Select(b => target.Logits(xs.narrow(0, b * Batch, Math.Min(Batch, count - b * Batch)))).ToList());
            var wrong = logits.argmax(1).ne(ys);
            clean += clock.Elapsed.TotalSeconds;
            clock.Restart();
            using var outcome = ensemble.Run(target, xs, ys, threat, wrong, logits);
            attacks += clock.Elapsed.TotalSeconds;
            gradients += outcome.GradientEvaluations;
            var wrongRows = wrong.data<bool>().ToArray();
            for (int i = 0; i < count; i++)
            {
                if (wrongRows[i]) continue;
                correct++;
                var record = outcome.Examples[i];
                if (!record.Fooled) robust++;
                // Fooled by PGD: by its steps, or already at its random start ("clean" in the ensemble's record).
                if (!(record.Fooled && record.FooledBy != "apgd-ce")) pgdRobust++;
            }
        }
        return new OurRun(total.Elapsed.TotalSeconds, load, clean, attacks, gradients, (double)correct / count, (double)robust / count,
            (double)pgdRobust / count,
            pgd.Seconds, pgd.Gradients, apgd.Seconds, apgd.Gradients);
    }
}
