using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maskbench.Tests.Support;
using Xunit.Abstractions;

namespace Maskbench.Tests.Reports;

/// <summary>
/// report.html as people see it: rendered by headless Chromium (Debian's `chromium`) at 1280 px. Skips with its reason
/// where chromium is absent, except under CI (CI set), where .ci/run installs it and its absence is a failure.
/// The screenshot and the printed PDF are kept in TestResults/browser/ at the repository root.
/// </summary>
public class ReportBrowserTests(ITestOutputHelper output)
{
    const int Width = 1280;

    static string? FindChromium() =>
        new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);

    /// <summary>TestResults/browser beside Maskbench.slnx (the temp folder when the tests run from elsewhere).</summary>
    static string OutputFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Maskbench.slnx")))
                return Directory.CreateDirectory(Path.Combine(dir.FullName, "TestResults", "browser")).FullName;
        return Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "maskbench-browser")).FullName;
    }

    static (int Code, string Stdout, string Stderr) Chromium(string chromium, params string[] args)
    {
        var psi = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                     "--no-first-run", "--virtual-time-budget=10000" }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("chromium did not finish in 120 s"); }
        return (p.ExitCode, stdout, err.Result);
    }

    // Measures the page after load and writes the result into the DOM, where --dump-dom shows it.
    const string Probe = """
<script>
window.addEventListener('load', () => {
  const images = [...document.images];
  const root = document.documentElement;
  const wide = [...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5).map(e => e.tagName);
  const print = [...document.styleSheets].some(s => [...s.cssRules].some(r => r.media && r.media.mediaText.includes('print')));
  const result = { images: images.length, broken: images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt),
    tables: document.querySelectorAll('table').length, rows: document.querySelectorAll('table tr').length,
    scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, height: root.scrollHeight, wide, print };
  const pre = document.createElement('pre'); pre.id = 'mb-probe'; pre.textContent = JSON.stringify(result); document.body.appendChild(pre);
});
</script>
""";

    [SkippableFact]
    public void ReportRendersInChromiumWithEveryFigureTablesAndNoHorizontalOverflow()
    {
        string? chromium = FindChromium();
        if (chromium is null && Environment.GetEnvironmentVariable("CI") is not null)
            Assert.Fail("chromium is not installed, and CI must run this test (.ci/run installs Debian's chromium)");
        Skip.If(chromium is null, "chromium is not installed (apt-get install -y chromium)");

        using var tmp = new TempFolder();
        string report = ReportWriterTests.MakeReport(tmp);
        string html = File.ReadAllText(report);
        string probed = tmp["probed.html"];
        File.WriteAllText(probed, html.Replace("</body>", Probe + "</body>"));

        var (code, dom, stderr) = Chromium(chromium!, $"--window-size={Width},900", "--dump-dom", new Uri(probed).AbsoluteUri);
        var match = Regex.Match(dom, "<pre id=\"mb-probe\">(\\{.*?\\})</pre>");
        Assert.True(code == 0 && match.Success, $"chromium exit {code}, no probe result; stderr: {stderr[..Math.Min(stderr.Length, 2000)]}");
        var probe = JsonNode.Parse(System.Net.WebUtility.HtmlDecode(match.Groups[1].Value))!;
        output.WriteLine(probe.ToJsonString());

        int figures = Regex.Matches(html, "<img ").Count;
        Assert.True(figures >= 3, $"the report should have figures, it has {figures}");
        Assert.Equal(figures, probe["images"]!.GetValue<int>());
        Assert.Empty(probe["broken"]!.AsArray());
        Assert.Equal(Regex.Matches(html, "<table>").Count, probe["tables"]!.GetValue<int>());
        Assert.True(probe["tables"]!.GetValue<int>() >= 2 && probe["rows"]!.GetValue<int>() > 4, "tables are present");
        Assert.True(probe["scrollWidth"]!.GetValue<int>() <= probe["clientWidth"]!.GetValue<int>(),
            $"horizontal overflow at {Width} px: scroll width {probe["scrollWidth"]}, elements past the edge: {probe["wide"]!.ToJsonString()}");
        Assert.Empty(probe["wide"]!.AsArray());
        Assert.True(probe["print"]!.GetValue<bool>(), "the report has no print stylesheet");

        // The whole page in one screenshot, and the printed document, kept for people to look at.
        string folder = OutputFolder();
        string png = Path.Combine(folder, "report-1280.png"), pdf = Path.Combine(folder, "report.pdf");
        File.Delete(png);
        File.Delete(pdf);
        int height = probe["height"]!.GetValue<int>();
        var shot = Chromium(chromium!, $"--window-size={Width},{height}", $"--screenshot={png}", new Uri(report).AbsoluteUri);
        Assert.True(shot.Code == 0 && File.Exists(png), $"no screenshot: {shot.Stderr[..Math.Min(shot.Stderr.Length, 2000)]}");
        using (var image = SkiaSharp.SKBitmap.Decode(png))
        {
            Assert.Equal(Width, image.Width);
            Assert.Equal(height, image.Height);
        }
        var print = Chromium(chromium!, "--no-pdf-header-footer", $"--print-to-pdf={pdf}", new Uri(report).AbsoluteUri);
        Assert.True(print.Code == 0 && File.Exists(pdf), $"no PDF: {print.Stderr[..Math.Min(print.Stderr.Length, 2000)]}");
        string pdfText = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(pdf));
        Assert.StartsWith("%PDF", pdfText);
        Assert.True(Regex.Matches(pdfText, @"/Type\s*/Page[^s]").Count >= 1, "the PDF has no pages");
        output.WriteLine($"screenshot {png} ({Width}x{height}), PDF {pdf}");
    }
}
