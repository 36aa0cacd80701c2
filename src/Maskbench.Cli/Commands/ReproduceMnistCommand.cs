using System.ComponentModel;
using System.Globalization;
using Maskbench.Cli.Rendering;
using Maskbench.Experiments.Mnist;
using Maskbench.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

public sealed class ReproduceMnistSettings : ReproduceSettings
{
    [CommandOption("--idx <DIR>")]
    [Description("Folder with MNIST's IDX files: t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, gzip-compressed (.gz) or raw.")]
    public string Idx { get; init; } = "";

    [CommandOption("--eval-limit <N>")]
    [Description("Test images to attack (0 = all 2,000 of the split).")]
    [DefaultValue(500)]
    public int EvaluationLimit { get; init; } = 500;

    [CommandOption("--steps <N>")]
    [Description("PGD and BPDA iterations.")]
    [DefaultValue(20)]
    public int Steps { get; init; } = 20;

    public override Spectre.Console.ValidationResult Validate()
    {
        var common = base.Validate();
        if (!common.Successful) return common;
        // The branch shares reproduce's settings; those the baseline has no use for are refused rather than ignored.
        string? unused = new (bool Given, string Name)[]
        {
            (Data.Length > 0, "--data"), (Profile is not null, "--profile"), (Arch is not null, "--arch"), (TrainLimit is not null, "--train-limit"),
            (TestLimit is not null, "--test-limit"), (Schedule is not null, "--schedule"), (TrainSteps is not null, "--train-steps"),
            (EpsWarmup is not null, "--eps-warmup"), (PgdSteps is not null, "--pgd-steps"), (Restarts is not null, "--restarts"),
            (Precision is not null, "--precision"), (Seeds is not null, "--seeds"), (PrintPlan is not null, "--print-plan"),
            (Force is not null, "--force"), (Cells is not null, "--cells"), (Masker is not null, "--masker"),
        }.FirstOrDefault(o => o.Given).Name;
        if (unused is not null) return Spectre.Console.ValidationResult.Error($"reproduce mnist does not take {unused} (an option of `reproduce`)");
        return OptionRange.First(OptionRange.Integer(EvaluationLimit, "--eval-limit", 0), OptionRange.Integer(Steps, "--steps", 1, 1_000_000));
    }

    /// <summary>
    /// What <see cref="MnistBaseline.Run"/> receives: --eval-limit, --steps and, shared with <c>reproduce</c>,
    /// --epochs, --width, --batch and --lr (for MNIST: 2 epochs, width 0.5, batch 64, learning rate 0.02 by default).
    /// </summary>
    public MnistBaselineOptions Options()
    {
        var defaults = new MnistBaselineOptions();
        return defaults with
        {
            EvaluationLimit = EvaluationLimit, Steps = Steps,
            Epochs = Epochs ?? defaults.Epochs, Width = Width ?? defaults.Width,
            BatchSize = Batch ?? defaults.BatchSize, LearningRate = LearningRate ?? defaults.LearningRate,
        };
    }
}

/// <summary><c>maskbench reproduce mnist</c>: plain and binarized CNN against PGD and BPDA on real MNIST.</summary>
sealed class ReproduceMnistCommand : Command<ReproduceMnistSettings>
{
    public override int Execute(CommandContext context, ReproduceMnistSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Idx)) throw new MaskbenchException("--idx is required (the folder with MNIST's IDX files)");
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new MaskbenchException("--out is required");
        var device = TorchRuntime.SelectDevice(settings.Device);
        var options = settings.Options();
        var results = ConsoleProgress.Run(settings, sink => MnistBaseline.Run(settings.Idx, options, Path.Combine(settings.Out, "run"),
            device, sink));
        string report = results.WriteReport(settings.Out);
        var table = new Table().AddColumns(["model and attack", "natural %",
            .. results.Epsilons.Select(e => $"ε={e.ToString(CultureInfo.InvariantCulture)} %")]);
        foreach (var row in results.Rows)
            table.AddRow([row.Model, F(row.Natural), .. row.Robust.Select(p => F(p.Accuracy))]);
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine($"report: {Path.GetFullPath(report)}");
        return 0;
    }

    static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
}
