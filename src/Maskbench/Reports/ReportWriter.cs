using System.Net;
using System.Text;
using Maskbench.Files;

namespace Maskbench.Reports;

/// <summary>
/// Writes results.json first, then report.md (figures as PNG files beside it) and a self-contained report.html
/// (CSS inline, figures embedded as base64 PNG) rendered from what was written, never from live objects.
/// </summary>
public static class ReportWriter
{
    /// <summary>Writes results.json and renders from it; returns the report.html path.</summary>
    public static string Write(ExperimentResults results, string outFolder, string imagesRoot)
    {
        Directory.CreateDirectory(outFolder);
        string resultsPath = Path.Combine(outFolder, "results.json");
        AtomicFile.WriteAllText(resultsPath, results.ToJson());
        return Render(resultsPath, outFolder, imagesRoot);
    }

    /// <summary>Renders report.md and report.html from a results.json file (<c>maskbench report</c>).</summary>
    public static string Render(string resultsPath, string outFolder, string? imagesRoot = null)
    {
        var results = ExperimentResults.Load(resultsPath);
        var blocks = ReportContent.Build(results, imagesRoot ?? Path.GetDirectoryName(Path.GetFullPath(resultsPath))!);
        Directory.CreateDirectory(Path.Combine(outFolder, "figures"));
        foreach (var figure in blocks.OfType<FigureBlock>())
            AtomicFile.WriteAllBytes(Path.Combine(outFolder, "figures", figure.FileName), figure.Png);
        AtomicFile.WriteAllText(Path.Combine(outFolder, "report.md"), Markdown(blocks));
        string html = Path.Combine(outFolder, "report.html");
        AtomicFile.WriteAllText(html, Html(blocks));
        return html;
    }

    public static string Markdown(IEnumerable<ReportBlock> blocks)
    {
        var md = new StringBuilder();
        foreach (var block in blocks)
        {
            switch (block)
            {
                case HeadingBlock h: md.Append('#', h.Level).Append(' ').AppendLine(h.Text).AppendLine(); break;
                case ParagraphBlock p: md.AppendLine(p.Text).AppendLine(); break;
                case TableBlock t:
                    md.AppendLine("| " + string.Join(" | ", t.Header) + " |");
                    md.AppendLine("|" + string.Concat(t.Header.Select((_, i) => i == 0 ? "---|" : "---:|")));
                    foreach (var row in t.Rows) md.AppendLine("| " + string.Join(" | ", row) + " |");
                    md.AppendLine();
                    break;
                case FigureBlock f: md.AppendLine($"![{f.Caption}](figures/{f.FileName})").AppendLine(); break;
            }
        }
        return md.ToString();
    }

    const string Css = "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1000px;margin:2em auto;color:#222;line-height:1.45}"
        + "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px}td{text-align:right}"
        + "td:first-child{text-align:left}th{background:#f3f3f3}figure{margin:1em "
        + "0}img{max-width:100%;height:auto}figcaption{color:#555;font-size:90%}"
        + "@media screen{body{padding:0 1em}table{display:block;max-width:100%;overflow-x:auto}}"
        // Print (and print to PDF): the page's full width, black text, no table or figure split across pages, headings kept
        // with what follows them, header shading printed.
        + "@page{margin:15mm}"
        + "@media print{body{max-width:none;margin:0;color:#000;font-size:10pt;line-height:1.3}h1,h2,h3{break-after:avoid;page-break-after:avoid}"
        + "table,figure,tr{break-inside:avoid;page-break-inside:avoid}img{max-width:100%;max-height:240mm}"
        + "th{-webkit-print-color-adjust:exact;print-color-adjust:exact}figcaption{color:#333}}";

    public static string Html(IEnumerable<ReportBlock> blocks)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Maskbench report</title><style>")
            .Append(Css).Append("</style></head><body>\n");
        foreach (var block in blocks)
        {
            switch (block)
            {
                case HeadingBlock h: html.Append($"<h{h.Level}>{E(h.Text)}</h{h.Level}>\n"); break;
                case ParagraphBlock p: html.Append($"<p>{E(p.Text)}</p>\n"); break;
                case TableBlock t:
                    html.Append("<table><tr>").Append(string.Concat(t.Header.Select(c => $"<th>{E(c)}</th>"))).Append("</tr>\n");
                    foreach (var row in t.Rows) html.Append("<tr>").Append(string.Concat(row.Select(c => $"<td>{E(c)}</td>"))).Append("</tr>\n");
                    html.Append("</table>\n");
                    break;
                case FigureBlock f:
                    html.Append($"<figure><img alt=\"{E(f.Caption)}\" "
                        + $"src=\"data:image/png;base64,{Convert.ToBase64String(f.Png)}\"><figcaption>{E(f.Caption)}</figcaption></figure>\n");
                    break;
            }
        }
        return html.Append("</body></html>\n").ToString();
    }
}
