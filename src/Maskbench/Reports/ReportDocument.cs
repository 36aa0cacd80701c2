namespace Maskbench.Reports;

/// <summary>The report as a list of blocks, rendered once to Markdown and once to HTML so that both say the same.</summary>
public abstract record ReportBlock;
public sealed record HeadingBlock(int Level, string Text) : ReportBlock;
public sealed record ParagraphBlock(string Text) : ReportBlock;
public sealed record TableBlock(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) : ReportBlock;
/// <summary>A PNG: <see cref="FileName"/> relative to the report's folder (Markdown links it, HTML embeds <see cref="Png"/>).</summary>
public sealed record FigureBlock(string Caption, string FileName, byte[] Png) : ReportBlock;
