using Maskbench.Reports;

namespace Maskbench.Experiments;

/// <summary>The last step of <c>reproduce</c> and <c>merge</c>: results.json from the cached cells, then the report.</summary>
public static class ExperimentReport
{
    /// <summary>Returns the path of report.html.</summary>
    public static string Write(ExperimentPlan plan, string outFolder)
    {
        var results = ResultsBuilder.Build(plan, new CellStore(outFolder));
        return ReportWriter.Write(results, outFolder, Path.GetFullPath(outFolder));
    }
}
