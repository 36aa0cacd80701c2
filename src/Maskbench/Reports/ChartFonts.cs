namespace Maskbench.Reports;

/// <summary>
/// Registers DejaVu Sans with ScottPlot. The SkiaSharp native build we ship has no fontconfig, so fonts cannot be
/// found by family name and charts would render without any text; loading the file directly works everywhere the
/// font is installed (Debian: fonts-dejavu-core).
/// </summary>
static class ChartFonts
{
    const string Family = "DejaVu Sans";
    static readonly string[] Folders = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
        "/usr/local/share/fonts", "/Library/Fonts", "C:\\Windows\\Fonts"];
    static readonly Lazy<bool> Registered = new(Register);

    /// <summary>True when the font was found; charts are still drawn (without legible text) when it was not.</summary>
    public static bool Ensure() => Registered.Value;

    static bool Register()
    {
        foreach (string folder in Folders)
        {
            string regular = Path.Combine(folder, "DejaVuSans.ttf");
            if (!File.Exists(regular)) continue;
            ScottPlot.Fonts.AddFontFile(Family, regular, bold: false, italic: false);
            string bold = Path.Combine(folder, "DejaVuSans-Bold.ttf");
            if (File.Exists(bold)) ScottPlot.Fonts.AddFontFile(Family, bold, bold: true, italic: false);
            ScottPlot.Fonts.Default = Family;
            return true;
        }
        return false;
    }
}
