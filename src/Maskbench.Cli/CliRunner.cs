using Maskbench;
using Spectre.Console.Cli;

namespace Maskbench.Cli;

/// <summary>Runs the command app and turns every failure into one line on stderr and a non-zero exit code.</summary>
static class CliRunner
{
    public const int UserError = 1;
    public const int UsageError = 2;
    public const int InternalError = 3;

    public static int Run(CommandApp app, string[] args)
    {
        args = OptionArguments.Normalize(args);
        bool verbose = args.Contains("--verbose") || args.Contains("-v");
        try
        {
            return app.Run(args);
        }
        catch (CommandParseException e)
        {
            return Fail(e.Message, e, verbose, UsageError, "usage");
        }
        catch (CommandRuntimeException e)
        {
            return Fail(e.Message, e, verbose, UsageError, "usage");
        }
        catch (MaskbenchException e)
        {
            return Fail(e.Message, e, verbose, UserError, "error");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return Fail(e.Message, e, verbose, UserError, "error");
        }
        catch (Exception e)
        {
            return Fail($"{e.GetType().Name}: {e.Message}" + (verbose ? "" : " (run with --verbose for the stack trace)"), e, verbose, InternalError,
                "internal error");
        }
    }

    static int Fail(string message, Exception e, bool verbose, int code, string kind)
    {
        // Plain text, never wrapped: one line a script can grep.
        Console.Error.WriteLine($"{kind}: {message.ReplaceLineEndings(" ")}");
        if (verbose) Console.Error.WriteLine(e.ToString());
        return code;
    }
}
