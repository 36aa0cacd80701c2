using System.ComponentModel;
using Maskbench.Training;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class ExportSettings : GlobalSettings
{
    [CommandOption("--model <RUN>")]
    [Description("Run folder to export.")]
    public string Model { get; init; } = "";

    [CommandOption("--out <DIR>")]
    [Description("Folder for model.safetensors and model.json.")]
    public string Out { get; init; } = "";

    [CommandOption("--last")]
    [Description("Export last.ckpt instead of best.ckpt.")]
    public bool Last { get; init; }
}

/// <summary>`maskbench export`: a run's weights as safetensors with PyTorch keys, plus model.json (docs/interop.md).</summary>
sealed class ExportCommand : Command<ExportSettings>
{
    public override int Execute(CommandContext context, ExportSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Model) || string.IsNullOrWhiteSpace(settings.Out))
            throw new MaskbenchException("export needs --model RUN and --out DIR");
        ModelExport.Export(settings.Model, settings.Out, useBest: !settings.Last);
        Console.WriteLine($"wrote {Path.Combine(settings.Out, ModelExport.WeightsFile)} and {ModelExport.DescriptionFile}");
        return 0;
    }
}

sealed class ImportSettings : GlobalSettings
{
    [CommandOption("--weights <DIR>")]
    [Description("Folder holding model.safetensors and model.json (as written by export).")]
    public string Weights { get; init; } = "";

    [CommandOption("--out <RUN>")]
    [Description("Run folder to create.")]
    public string Out { get; init; } = "";
}

/// <summary>`maskbench import`: safetensors weights back into a run folder that evaluation commands accept.</summary>
sealed class ImportCommand : Command<ImportSettings>
{
    public override int Execute(CommandContext context, ImportSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Weights) || string.IsNullOrWhiteSpace(settings.Out))
            throw new MaskbenchException("import needs --weights DIR and --out RUN");
        ModelExport.Import(settings.Weights, settings.Out);
        Console.WriteLine($"imported {settings.Weights} into {settings.Out}");
        return 0;
    }
}
