namespace Maskbench.Data.Synthetic;

/// <summary>
/// The 43 synthetic sign classes. Class k imitates the look of GTSRB class k (outline, colours, a pictogram of the
/// same kind) so that the synthetic set poses a task of the same flavour; every design differs from every other.
/// </summary>
public static class SignDesigns
{
    static readonly Rgb R = Rgb.Red, B = Rgb.Blue, Y = Rgb.Yellow, Wh = Rgb.White, K = Rgb.Black, G = Rgb.Gray;

    public static IReadOnlyList<SignDesign> All { get; } =
    [
        Prohibitory("speed limit 20", SignGlyphs.Digits("20")),
        Prohibitory("speed limit 30", SignGlyphs.Digits("30")),
        Prohibitory("speed limit 50", SignGlyphs.Digits("50")),
        Prohibitory("speed limit 60", SignGlyphs.Digits("60")),
        Prohibitory("speed limit 70", SignGlyphs.Digits("70")),
        Prohibitory("speed limit 80", SignGlyphs.Digits("80")),
        EndOf("end of speed limit 80", [.. SignGlyphs.Digits("80"), .. SignGlyphs.DiagonalStripes], G),
        Prohibitory("speed limit 100", SignGlyphs.Digits("100")),
        Prohibitory("speed limit 120", SignGlyphs.Digits("120")),
        Design("no passing", SignShape.Circle, R, 0.2, Wh, [Layer(SignShape.Circle, R, SignGlyphs.Car(0.4)),
            Layer(SignShape.Circle, K, SignGlyphs.Car(-0.4))], Wh),
        Design("no passing for trucks", SignShape.Circle, R, 0.2, Wh,
            [Layer(SignShape.Circle, R, SignGlyphs.Truck(0.45)), Layer(SignShape.Circle, K, SignGlyphs.Car(-0.45))], Wh),
        Warning("right of way at next crossing", SignGlyphs.Crossroads),
        Design("priority road", SignShape.Diamond, Wh, 0.24, Y, [], K),
        Design("yield", SignShape.InvertedTriangle, R, 0.24, Wh, [], Wh),
        Design("stop", SignShape.Octagon, R, 0.06, R, [Layer(SignShape.Octagon, Wh,
            [.. SignGlyphs.HorizontalBar.Select(s => s with { HalfWidth = 0.12 }), .. SignGlyphs.Polyline(0.1, (-0.6, -0.5), (0.6, -0.5))])], Wh),
        Design("no vehicles", SignShape.Circle, R, 0.22, Wh, [], Wh),
        Prohibitory("trucks prohibited", SignGlyphs.Truck(0)),
        Design("no entry", SignShape.Circle, R, 0.0, R, [Layer(SignShape.Circle, Wh, SignGlyphs.HorizontalBar)], Wh),
        Warning("general caution", SignGlyphs.Exclamation),
        Warning("dangerous curve left", SignGlyphs.CurveLeft),
        Warning("dangerous curve right", SignGlyphs.CurveRight),
        Warning("double curve", SignGlyphs.DoubleCurve),
        Warning("bumpy road", SignGlyphs.Bumps),
        Warning("slippery road", SignGlyphs.Slippery),
        Warning("road narrows right", SignGlyphs.Narrows),
        Warning("road work", SignGlyphs.RoadWork),
        Design("traffic signals", SignShape.Triangle, R, 0.17, Wh,
        [
            Layer(SignShape.Triangle, K, SignGlyphs.TrafficLights.Take(1).ToArray()),
            Layer(SignShape.Triangle, Y, SignGlyphs.TrafficLights.Skip(1).Take(1).ToArray()),
            Layer(SignShape.Triangle, new Rgb(0.1, 0.55, 0.2), SignGlyphs.TrafficLights.Skip(2).ToArray()),
        ], Wh),
        Warning("pedestrians", SignGlyphs.Figure(0, 1)),
        Warning("children crossing", [.. SignGlyphs.Figure(-0.35, 1), .. SignGlyphs.Figure(0.4, 0.7)]),
        Warning("bicycles crossing", SignGlyphs.Bicycle),
        Warning("ice or snow", SignGlyphs.Snowflake),
        Warning("wild animals", SignGlyphs.Deer),
        EndOf("end of all limits", SignGlyphs.DiagonalStripes, G),
        Mandatory("turn right ahead", SignGlyphs.Polyline(0.13, (-0.35, 0.7), (-0.35, -0.1)).Concat(SignGlyphs.Arrow(-0.35, -0.1, 0.6, -0.1))
            .ToArray()),
        Mandatory("turn left ahead", SignGlyphs.Polyline(0.13, (0.35, 0.7), (0.35, -0.1)).Concat(SignGlyphs.Arrow(0.35, -0.1, -0.6, -0.1)).ToArray()),
        Mandatory("ahead only", SignGlyphs.Arrow(0, 0.75, 0, -0.75)),
        Mandatory("straight or right", [.. SignGlyphs.Arrow(-0.15, 0.75, -0.15, -0.75), .. SignGlyphs.Arrow(-0.15, 0.2, 0.6, -0.3)]),
        Mandatory("straight or left", [.. SignGlyphs.Arrow(0.15, 0.75, 0.15, -0.75), .. SignGlyphs.Arrow(0.15, 0.2, -0.6, -0.3)]),
        Mandatory("keep right", SignGlyphs.Arrow(-0.45, -0.45, 0.5, 0.5)),
        Mandatory("keep left", SignGlyphs.Arrow(0.45, -0.45, -0.5, 0.5)),
        Mandatory("roundabout", SignGlyphs.Roundabout),
        EndOf("end of no passing", [.. SignGlyphs.Car(0.4), .. SignGlyphs.Car(-0.4), .. SignGlyphs.DiagonalStripes], G),
        Design("end of no passing for trucks", SignShape.Square, B, 0.05, Wh,
            [Layer(SignShape.Square, K, [.. SignGlyphs.Truck(0.45), .. SignGlyphs.Car(-0.45), .. SignGlyphs.DiagonalStripes])], Wh),
    ];

    static SignDesign Prohibitory(string name, Stroke[] glyph) =>
        Design(name, SignShape.Circle, R, 0.2, Wh, [Layer(SignShape.Circle, K, glyph)], Wh);

    static SignDesign Warning(string name, Stroke[] glyph) =>
        Design(name, SignShape.Triangle, R, 0.17, Wh, [Layer(SignShape.Triangle, K, glyph)], Wh);

    static SignDesign Mandatory(string name, Stroke[] glyph) =>
        Design(name, SignShape.Circle, Wh, 0.05, B, [Layer(SignShape.Circle, Wh, glyph)], null);

    static SignDesign EndOf(string name, Stroke[] glyph, Rgb rim) =>
        Design(name, SignShape.Circle, rim, 0.05, Wh, [Layer(SignShape.Circle, K, glyph)], null);

    static SignDesign Design(string name, SignShape shape, Rgb rim, double rimWidth, Rgb face, GlyphLayer[] glyphs, Rgb? edge) =>
        new(name, shape, rim, rimWidth, face, glyphs, edge);

    /// <summary>Places glyph-unit strokes on the face of <paramref name="shape"/>.</summary>
    static GlyphLayer Layer(SignShape shape, Rgb color, Stroke[] strokes)
    {
        var (centerY, scale) = SignGeometry.GlyphFrame(shape);
        return new GlyphLayer(color, strokes.Select(s => new Stroke(s.X0 * scale, centerY + s.Y0 * scale, s.X1 * scale, centerY + s.Y1 * scale,
            s.HalfWidth * scale)).ToArray());
    }
}
