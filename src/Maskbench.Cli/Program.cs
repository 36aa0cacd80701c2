using Maskbench.Cli;

return CliRunner.Run(CommandRegistry.App(), args);
