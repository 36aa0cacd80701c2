namespace Maskbench.Data.Synthetic;

/// <summary>
/// How a sign is seen: its size in pixels (the side of its [-1, 1] box before tilting), in-plane rotation, a
/// horizontal squash and shear, a perspective tilt, and how faded its paint is. A track (one physical sign seen
/// while driving past) keeps a view and grows it from image to image.
/// </summary>
public sealed record SignView(double Size, double Rotation, double Aspect, double Shear, double PerspectiveX, double PerspectiveY, double Fade)
{
    /// <summary>A view with sizes skewed towards small signs, as in GTSRB (most crops 30-60 pixels).</summary>
    public static SignView Random(Random random)
    {
        double u = random.NextDouble();
        return new SignView(
            Size: 15 + 70 * Math.Pow(u, 2.2),
            Rotation: (random.NextDouble() - 0.5) * 0.2,
            Aspect: 0.85 + 0.25 * random.NextDouble(),
            Shear: (random.NextDouble() - 0.5) * 0.16,
            PerspectiveX: (random.NextDouble() - 0.5) * 0.24,
            PerspectiveY: (random.NextDouble() - 0.5) * 0.16,
            Fade: 0.3 * random.NextDouble() * random.NextDouble());
    }

    /// <summary>The view of the <paramref name="index"/>-th image of a track: closer, so larger, and slightly shaken.</summary>
    public SignView Along(int index, Random random) => this with
    {
        Size = Math.Min(92, Size * Math.Pow(1.07, index) * (0.97 + 0.06 * random.NextDouble())),
        Rotation = Rotation + (random.NextDouble() - 0.5) * 0.04,
        PerspectiveX = PerspectiveX * (1 + 0.1 * index) + (random.NextDouble() - 0.5) * 0.03,
    };

    /// <summary>The map from sign coordinates to pixels, centred at the origin.</summary>
    public Projective Map() =>
        Projective.Scale(Size / 2, Size / 2)
        * Projective.Rotation(Rotation)
        * Projective.Shear(Shear)
        * Projective.Scale(Aspect, 1)
        * Projective.Perspective(PerspectiveX, PerspectiveY);
}
