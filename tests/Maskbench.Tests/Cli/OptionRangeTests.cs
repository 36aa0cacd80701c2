using Maskbench.Cli;
using Maskbench.Cli.Commands;

namespace Maskbench.Tests.Cli;

/// <summary>
/// Every numeric option is checked at the command line's boundary: a value outside its range fails validation (exit
/// code 2) with one line naming the option, the value and the allowed range; the default and the range's ends pass.
/// </summary>
public class OptionRangeTests
{
    static void Refused(Spectre.Console.Cli.CommandSettings settings, string option, string value, string range)
    {
        var result = settings.Validate();
        Assert.False(result.Successful, $"{option} {value} was accepted");
        Assert.Contains($"{option} {value}", result.Message);
        Assert.Contains(range, result.Message);
    }

    static void Accepted(Spectre.Console.Cli.CommandSettings settings)
    {
        var result = settings.Validate();
        Assert.True(result.Successful, result.Message);
    }

    [Fact]
    public void Attack_refuses_out_of_range_numbers()
    {
        var cases = new (AttackCommand.Settings Settings, string Option, string Value, string Range)[]
        {
            (new() { Model = "m", Data = "d", Steps = 0 }, "--steps", "0", "[1, 1000000]"),
            (new() { Model = "m", Data = "d", Steps = -3 }, "--steps", "-3", "[1, 1000000]"),
            (new() { Model = "m", Data = "d", Count = 0 }, "-n/--count", "0", "at least 1"),
            (new() { Model = "m", Data = "d", Count = -5 }, "-n/--count", "-5", "at least 1"),
            (new() { Model = "m", Data = "d", BatchSize = 0 }, "--batch-size", "0", "[1, 65536]"),
            (new() { Model = "m", Data = "d", StepSize = "-1" }, "--step-size", "-1", "(0, 1]"),
            (new() { Model = "m", Data = "d", StepSize = "0" }, "--step-size", "0", "(0, 1]"),
            (new() { Model = "m", Data = "d", StepSize = "abc" }, "--step-size", "abc", "(0, 1]"),
            (new() { Model = "m", Data = "d", Epsilon = "5" }, "--eps", "5", "[0, 1]"),
            (new() { Model = "m", Data = "d", Epsilon = "-1/255" }, "--eps", "-1/255", "[0, 1]"),
            (new() { Model = "m", Data = "d", Restarts = 0 }, "--restarts", "0", "[1, 1000]"),
            (new() { Model = "m", Data = "d", Sweep = "0,2/255,2" }, "--eps-sweep", "2", "[0, 1]"),
            (new() { Model = "m", Data = "d", Threads = -1 }, "--threads", "-1", "[0, 1024]"),
        };
        foreach (var (settings, option, value, range) in cases) Refused(settings, option, value, range);
    }

    [Fact]
    public void Attack_accepts_the_defaults_and_the_ends_of_each_range()
    {
        Accepted(new AttackCommand.Settings { Model = "m", Data = "d" });
        Accepted(new AttackCommand.Settings { Model = "m", Data = "d", Steps = 1, Count = 1, BatchSize = 1, StepSize = "1", Epsilon = "0",
            Restarts = 1 });
        Accepted(new AttackCommand.Settings { Model = "m", Data = "d", Steps = 1_000_000, BatchSize = 65536, Epsilon = "1", Restarts = 1000,
            Sweep = "0,8/255,1" });
    }

    [Fact]
    public void Train_refuses_out_of_range_numbers()
    {
        var ok = new TrainSettings { Data = "d", Out = "o" };
        Accepted(ok);
        Refused(new TrainSettings { Data = "d", Out = "o", Epochs = 0 }, "--epochs", "0", "[1, 100000]");
        Refused(new TrainSettings { Data = "d", Out = "o", Width = 0 }, "--width", "0", "(0, 16]");
        Refused(new TrainSettings { Data = "d", Out = "o", Eps = "2" }, "--eps", "2", "[0, 1]");
        Refused(new TrainSettings { Data = "d", Out = "o", Eps = "8/0" }, "--eps", "8/0", "[0, 1]");
        Refused(new TrainSettings { Data = "d", Out = "o", EpsWarmup = -1 }, "--eps-warmup", "-1", "[0, 10]");
        Refused(new TrainSettings { Data = "d", Out = "o", Steps = 0 }, "--steps", "0", "[1, 10000]");
        Refused(new TrainSettings { Data = "d", Out = "o", StepSize = "0" }, "--step-size", "0", "(0, 1]");
        Refused(new TrainSettings { Data = "d", Out = "o", FreeReplays = 0 }, "--free-replays", "0", "[1, 1000]");
        Refused(new TrainSettings { Data = "d", Out = "o", Batch = 0 }, "--batch", "0", "[1, 65536]");
        Refused(new TrainSettings { Data = "d", Out = "o", Lr = -0.1 }, "--lr", "-0.1", "(0, 10]");
        Refused(new TrainSettings { Data = "d", Out = "o", Lr = double.NaN }, "--lr", "NaN", "(0, 10]");
        Refused(new TrainSettings { Data = "d", Out = "o", LimitTrain = 0 }, "--limit-train", "0", "at least 1");
        Refused(new TrainSettings { Data = "d", Out = "o", Val = -1 }, "--val", "-1", "at least 0");
        Refused(new TrainSettings { Data = "d", Out = "o", ValSteps = 0 }, "--val-steps", "0", "[1, 10000]");
    }

    [Fact]
    public void Build_synth_reproduce_and_preview_refuse_out_of_range_numbers()
    {
        var gtsrb = new BuildGtsrbSettings { Src = "s", Out = "o" };
        Accepted(gtsrb);
        Refused(new BuildGtsrbSettings { Src = "s", Out = "o", Size = 2 }, "--size", "2", "[4, 1024]");
        Refused(new BuildGtsrbSettings { Src = "s", Out = "o", Workers = -1 }, "--workers", "-1", "[0, 1024]");
        Refused(new BuildGtsrbSettings { Src = "s", Out = "o", TestFraction = 1 }, "--test-fraction", "1", "(0, 1)");
        Refused(new BuildGtsrbSettings { Src = "s", Out = "o", LimitPerClass = 0 }, "--limit-per-class", "0", "at least 1");
        var coco = new BuildCocoSettings { Annotations = ["a"], Images = "i", Split = "train", Out = "o" };
        Accepted(coco);
        Refused(new BuildCocoSettings { Annotations = ["a"], Images = "i", Split = "train", Out = "o", Size = 0 }, "--size", "0", "[4, 1024]");
        Refused(new BuildCocoSettings { Annotations = ["a"], Images = "i", Split = "train", Out = "o", MinSize = -1 }, "--min-size", "-1",
            "at least 0");
        Refused(new SynthGtsrbSettings { Out = "o", Classes = 44 }, "--classes", "44", "[1, 43]");
        Refused(new SynthGtsrbSettings { Out = "o", TrainPerClass = -1 }, "--train-per-class", "-1", "[0, 100000]");
        Refused(new SynthCocoSettings { Out = "o", Images = 0 }, "--images", "0", "[1, 100000]");
        Refused(new ReproduceSettings { Epochs = 0 }, "--epochs", "0", "[1, 100000]");
        Refused(new ReproduceSettings { Width = -1 }, "--width", "-1", "(0, 16]");
        Refused(new ReproduceMnistSettings { Steps = 0 }, "--steps", "0", "[1, 1000000]");
        Refused(new ReproduceMnistSettings { EvaluationLimit = -1 }, "--eval-limit", "-1", "at least 0");
        Refused(new PreviewCommand.Settings { Count = 0 }, "-n/--count", "0", "[1, 10000]");
        Refused(new MasksEvaluateSettings { Src = "s", PeerIterations = 0 }, "--peer-iterations", "0", "[1, 1000]");
    }

    [Fact]
    public void Equals_form_of_long_options_is_split_before_parsing()
    {
        Assert.Equal(["reproduce", "--data", "DIR", "--out", "a=b", "--eps", "8/255"],
            OptionArguments.Normalize(["reproduce", "--data=DIR", "--out", "a=b", "--eps=8/255"]));
        // An empty value stays a value; a bare "--" ends option processing.
        Assert.Equal(["x", "--out", "", "--", "--a=b"], OptionArguments.Normalize(["x", "--out=", "--", "--a=b"]));
    }
}
