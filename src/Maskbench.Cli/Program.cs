using Maskbench.Cli;
using Maskbench.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("maskbench");
    config.PropagateExceptions();
    config.AddCommand<DoctorCommand>("doctor")
        .WithDescription("Print .NET, TorchSharp and libtorch versions, threads, devices and the libstdc++ fix state.");
    config.AddCommand<InfoCommand>("info")
        .WithDescription("Print a dataset's manifest: sizes, per-class counts (the paper's Table 1 form), parameters, hashes.")
        .WithExample("info", "out/gtsrb-ic");
    config.AddCommand<PreviewCommand>("preview")
        .WithDescription("Draw a PNG grid of a dataset's images, their masks and the masked images.")
        .WithExample("preview", "out/gtsrb-ic", "--out", "grid.png");
    config.AddCommand<BenchCommand>("bench")
        .WithDescription("Run named benchmarks (all when none is named); prints a table and writes JSON.")
        .WithExample("bench", "npy-read", "matmul", "--out", "bench.json");
    CommandRegistry.Register(config);
});
return CliRunner.Run(app, args);
