using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Masks.Learned;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Tests.Masks.Learned;
using Maskbench.Tests.Support;
using Maskbench.Training;
using static TorchSharp.torch;

namespace Maskbench.Tests.Training;

/// <summary>
/// Joint training of masker and classifier on <see cref="TinySegmentation"/>'s task (a coloured square on noise; the
/// class is the colour): the trained shared masker is the starting point, the classifier is a small CNN.
/// </summary>
[Collection(TorchThreadsCollection.Name)]
public class JointTrainingTests
{
    static readonly DatasetIdentity Identity = new("synthetic", "0123", "tiny-segmentation");
    static readonly string[] ClassNames = ["red", "green", "blue", "olive"];

    static ModelSpec Spec()
    {
        var (mean, std) = ModelSpec.DefaultNormalization(3);
        return new ModelSpec { Arch = "smallcnn", Classes = TinySegmentation.Classes, InputSize = TinySegmentation.Size, Channels = 3, Width = 0.25,
            Mean = mean, Std = std, Masked = true };
    }

    static TrainingOptions Options(TrainingMode mode = TrainingMode.Natural, int epochs = 6) => new()
    {
        Mode = mode, Epochs = epochs, BatchSize = 32, LearningRate = 0.05, Schedule = LearningRateSchedule.Cosine, Epsilon = 0,
        Steps = 2, StepSize = 2.0 / 255, ValidationCount = 64, ValidationSteps = 2, Seed = 11, Masked = true, RandomCrop = false,
    };

    /// <summary>The shared masker written as train-masker writes one.</summary>
    static string SourceMasker(TempFolder dir)
    {
        var task = TinySegmentation.Instance;
        string folder = dir["source-masker"];
        if (!File.Exists(Path.Combine(folder, MaskerRun.InfoFile)))
            new MaskerRun(folder).Write(task.Masker, new MaskerInfo
            {
                Spec = task.Masker.Spec, Options = TinySegmentation.MaskerOptions, Dataset = Identity, Parameters = task.Masker.ParameterCount,
                Epochs = task.MaskerEpochs,
            });
        return folder;
    }

    static Dictionary<string, Tensor> State(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    /// <summary>Accuracy of the deployed pipeline (thresholded mask) of a masker and a run's classifier on a split.</summary>
    static double PipelineAccuracy(MaskUNet masker, string run, SplitArrays data)
    {
        var (classifier, _) = Maskbench.Evaluation.AttackedModel.LoadClassifier(run, CPU);
        using (classifier)
        {
            var (x, _, y) = TinySegmentation.Tensors(data);
            var pipeline = new PredictedMaskTarget(masker, new ModuleTarget(classifier), MaskMode.Threshold, GradientPath.StraightThrough);
            using (pipeline.Prepare(Precision.Fp32))
            using (no_grad())
                return pipeline.Logits(x).argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        }
    }

    [Fact]
    public void Joint_training_tunes_the_masker_keeps_its_IoU_and_matches_frozen_masker_training()
    {
        using var dir = new TempFolder();
        var task = TinySegmentation.Instance;
        string source = SourceMasker(dir);
        var train = TinySegmentation.Generate(1024, seed: 31);
        var test = TinySegmentation.Generate(600, seed: 32);

        // Frozen: the classifier learns on the masks the (unchanged) masker predicts from the clean images.
        var frozenData = MaskerEvaluation.WithPredictedMasks(task.Masker, train, CPU);
        new Trainer(Options(), NullProgress.Instance).Train(frozenData, Spec(), Identity, ClassNames, dir["frozen"], false, CPU);
        double frozen = PipelineAccuracy(task.Masker, dir["frozen"], test);

        var options = Options() with { Joint = new JointTrainingOptions { Masker = source, SegmentationWeight = 1, MaskerLearningRate = 1e-3 } };
        var result = new Trainer(options, NullProgress.Instance).Train(train, Spec(), Identity, ClassNames, dir["joint"], false, CPU);
        var tunedRun = new MaskerRun(Path.Combine(dir["joint"], Trainer.JointMaskerFolder));
        using var tuned = tunedRun.Load(CPU);
        var info = tunedRun.ReadInfo();

        // The masker's weights moved, it still finds the square, and the pipeline is at least as accurate as with the
        // frozen masker, within noise (600 test images: a standard error of the difference of about 0.02 near 90%).
        var before = State(task.Masker);
        Assert.Contains(State(tuned), kv => kv.Key.EndsWith("weight") && !kv.Value.allclose(before[kv.Key], rtol: 0, atol: 1e-6));
        double tunedIoU = MaskerEvaluation.IoU(tuned, test, CPU).Average(), sourceIoU = MaskerEvaluation.IoU(task.Masker, test, CPU).Average();
        Assert.True(tunedIoU >= 0.85 && tunedIoU >= sourceIoU - 0.05, $"IoU after joint training {tunedIoU:F3}, before {sourceIoU:F3}");
        double joint = PipelineAccuracy(tuned, dir["joint"], test);
        Assert.True(frozen >= 0.8, $"frozen-masker pipeline accuracy {frozen:P1}: the task should be learnable");
        Assert.True(joint >= frozen - 0.05, $"joint pipeline accuracy {joint:P1}, frozen-masker {frozen:P1}");

        // The exported masker belongs to best.ckpt and says where it came from.
        Assert.Equal(result.BestEpoch, info.FineTuning!.Epoch);
        Assert.Equal((Path.GetFullPath(source), 1.0, 1e-3, TrainingMode.Natural, MaskMode.Threshold),
            (info.FineTuning.SourceMasker, info.FineTuning.SegmentationWeight, info.FineTuning.MaskerLearningRate, info.FineTuning.Mode,
                info.FineTuning.Mask));
        Assert.Equal(result.BestEpoch, info.Epochs.Count);
        Assert.Equal(64, info.Test!.Clean.Count);
        Assert.Equal(options, new RunFolder(dir["joint"]).ReadInfo().Options);
    }

    [Fact]
    public void The_segmentation_weight_masker_step_size_and_mask_form_reach_the_update_and_a_seed_repeats_a_run()
    {
        using var dir = new TempFolder();
        string source = SourceMasker(dir);
        var train = TinySegmentation.Generate(192, seed: 41);
        Dictionary<string, Tensor> Tuned(string name, double weight, double lr, MaskMode mask = MaskMode.Threshold)
        {
            var options = Options(epochs: 1) with { ValidationCount = 0,
                Joint = new JointTrainingOptions { Masker = source, SegmentationWeight = weight, MaskerLearningRate = lr, Mask = mask } };
            new Trainer(options, NullProgress.Instance).Train(train, Spec(), Identity, ClassNames, dir[name], false, CPU);
            using var masker = new MaskerRun(Path.Combine(dir[name], Trainer.JointMaskerFolder)).Load(CPU);
            return State(masker);
        }
        static bool Same(Dictionary<string, Tensor> a, Dictionary<string, Tensor> b) => a.All(kv => kv.Value.eq(b[kv.Key]).all().item<bool>());

        var a = Tuned("a", 1, 1e-3);
        Assert.True(Same(a, Tuned("a2", 1, 1e-3)), "same seed and options, different masker");
        Assert.False(Same(a, Tuned("w0", 0, 1e-3)), "--segmentation-weight had no effect on the masker");
        Assert.False(Same(a, Tuned("lr", 1, 3e-3)), "--masker-lr had no effect on the masker");
        Assert.False(Same(a, Tuned("soft", 1, 1e-3, MaskMode.Soft)), "--joint-mask had no effect on the masker");
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir["a"], "last.ckpt")), File.ReadAllBytes(Path.Combine(dir["a2"], "last.ckpt")));
    }

    [Fact]
    public void Pgd_joint_training_attacks_the_whole_pipeline_over_the_full_image()
    {
        using var dir = new TempFolder();
        string source = SourceMasker(dir);
        var train = TinySegmentation.Generate(128, seed: 51);
        var pgd = Options(TrainingMode.Pgd, epochs: 1) with
        {
            Epsilon = 8.0 / 255, ValidationCount = 32, Joint = new JointTrainingOptions { Masker = source, MaskerLearningRate = 1e-3 },
        };
        var result = new Trainer(pgd, NullProgress.Instance).Train(train, Spec(), Identity, ClassNames, dir["pgd"], false, CPU);
        var natural = pgd with { Mode = TrainingMode.Natural };
        new Trainer(natural, NullProgress.Instance).Train(train, Spec(), Identity, ClassNames, dir["natural"], false, CPU);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(dir["pgd"], "last.ckpt")), File.ReadAllBytes(Path.Combine(dir["natural"], "last.ckpt")));
        var info = new MaskerRun(Path.Combine(dir["pgd"], Trainer.JointMaskerFolder)).ReadInfo();
        Assert.Equal(TrainingMode.Pgd, info.FineTuning!.Mode);
        // Validation attacks the deployed pipeline: robust accuracy cannot exceed natural accuracy.
        var epoch = result.Epochs.Single();
        Assert.True(epoch.ValidationPgdAccuracy <= epoch.ValidationNaturalAccuracy);
    }

    [Fact]
    public void Joint_training_refuses_what_it_cannot_do()
    {
        using var dir = new TempFolder();
        string source = SourceMasker(dir);
        var train = TinySegmentation.Generate(64, seed: 61);
        var joint = Options(epochs: 1) with { ValidationCount = 0, Joint = new JointTrainingOptions { Masker = source } };
        Assert.Contains("free", Assert.Throws<MaskbenchException>(() => (joint with { Mode = TrainingMode.Free }).Validate()).Message);
        Assert.Contains("--masked", Assert.Throws<MaskbenchException>(() => (joint with { Masked = false }).Validate()).Message);
        Assert.Contains("--segmentation-weight", Assert.Throws<MaskbenchException>(() =>
            (joint with { Joint = joint.Joint! with { SegmentationWeight = -1 } }).Validate()).Message);
        new Trainer(joint, NullProgress.Instance).Train(train, Spec(), Identity, ClassNames, dir["run"], false, CPU);
        Assert.Contains("cannot be resumed", Assert.Throws<MaskbenchException>(() =>
            new Trainer(joint with { Epochs = 2 }, NullProgress.Instance).Train(train, Spec(), Identity, ClassNames, dir["run"], true, CPU)).Message);
        var big = Spec() with { InputSize = 32 };
        Assert.Contains("16x16", Assert.Throws<MaskbenchException>(() =>
            new Trainer(joint, NullProgress.Instance).Train(TinySegmentation.Generate(8, seed: 62, size: 32), big, Identity, ClassNames, dir["big"],
                false, CPU)).Message);
    }
}
