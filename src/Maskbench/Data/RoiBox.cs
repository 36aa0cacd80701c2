namespace Maskbench.Data;

/// <summary>
/// A region of interest as GTSRB's CSV gives it (Roi.X1, Roi.Y1, Roi.X2, Roi.Y2): pixel columns and rows, both
/// corners inclusive.
/// </summary>
public readonly record struct RoiBox(int X1, int Y1, int X2, int Y2)
{
    public int Width => X2 - X1 + 1;
    public int Height => Y2 - Y1 + 1;
    public bool Contains(int x, int y) => x >= X1 && x <= X2 && y >= Y1 && y <= Y2;
}
