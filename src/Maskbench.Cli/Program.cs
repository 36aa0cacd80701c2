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
    CommandRegistry.Register(config);
});
return CliRunner.Run(app, args);
