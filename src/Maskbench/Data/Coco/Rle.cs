namespace Maskbench.Data.Coco;

/// <summary>
/// A run-length encoded binary mask in the COCO API's layout (cocodataset/cocoapi, common/maskApi.h): the mask is
/// read column by column (column-major, "Fortran order"), and <see cref="Counts"/> alternate runs of 0 and 1
/// starting with 0 (so the first count may be 0). The counts add up to <see cref="Height"/> × <see cref="Width"/>.
/// </summary>
public sealed class Rle
{
    public int Height { get; }
    public int Width { get; }
    /// <summary>Run lengths, alternating background and foreground, background first.</summary>
    public uint[] Counts { get; }

    public Rle(int height, int width, uint[] counts)
    {
        if (height < 0 || width < 0) throw new ArgumentOutOfRangeException(nameof(height), $"RLE size {height}x{width} must not be negative");
        Height = height;
        Width = width;
        Counts = counts;
    }

    /// <summary>Checks that the runs cover the mask exactly, as decoding requires; returns the problem or null.</summary>
    public string? Validate()
    {
        ulong sum = 0;
        foreach (uint c in Counts) sum += c;
        ulong expected = (ulong)Height * (ulong)Width;
        return sum == expected ? null : $"RLE counts add up to {sum} pixels but size [{Height}, {Width}] has {expected}";
    }

    /// <summary>Foreground pixel count: the sum of the odd-indexed runs (maskApi.c <c>rleArea</c>).</summary>
    public long Area
    {
        get
        {
            long a = 0;
            for (int j = 1; j < Counts.Length; j += 2) a += Counts[j];
            return a;
        }
    }

    /// <summary>The compressed string form the COCO API's <c>encode</c> writes (see <see cref="RleString"/>).</summary>
    public string ToCompressedString() => RleString.Encode(Counts);

    /// <summary>Reads a compressed counts string (as in the JSON's <c>"counts": "..."</c>).</summary>
    public static Rle FromCompressedString(int height, int width, ReadOnlySpan<byte> ascii) =>
        new(height, width, RleString.Decode(ascii));

    public static Rle FromCompressedString(int height, int width, string counts) =>
        FromCompressedString(height, width, System.Text.Encoding.ASCII.GetBytes(counts));

    /// <summary>
    /// Tight box around the foreground as (x, y, width, height) in pixels, with maskApi.c <c>rleToBbox</c>'s
    /// semantics: a foreground run that wraps from one column into the next spans every row; all zeros when empty.
    /// </summary>
    public MaskBox ToBox()
    {
        uint h = (uint)Height;
        int m = Counts.Length / 2 * 2;
        if (m == 0 || h == 0) return default;
        uint xs = (uint)Width, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
        for (int j = 0; j < m; j++)
        {
            cc += Counts[j];
            // For a run start (even j) the first foreground pixel is at index cc; for a run end the last is cc - 1.
            uint t = cc - (uint)(j % 2);
            uint y = t % h, x = (t - y) / h;
            if (j % 2 == 0) xp = x;
            else if (xp < x) { ys = 0; ye = h - 1; }
            xs = Math.Min(xs, x); xe = Math.Max(xe, x); ys = Math.Min(ys, y); ye = Math.Max(ye, y);
        }
        return new MaskBox((int)xs, (int)ys, (int)(xe - xs + 1), (int)(ye - ys + 1));
    }

    /// <summary>Writes the mask column-major (the COCO API's own order) into <paramref name="destination"/>.</summary>
    public void DecodeColumnMajor(Span<byte> destination)
    {
        int need = checked(Height * Width);
        if (destination.Length < need) throw new ArgumentException($"destination holds {destination.Length} bytes, the mask needs {need}",
            nameof(destination));
        int p = 0;
        byte v = 0;
        foreach (uint c in Counts)
        {
            int n = (int)Math.Min(c, (uint)(need - p));
            destination.Slice(p, n).Fill(v);
            p += n;
            v ^= 1;
        }
        if (p != need) throw new InvalidOperationException(Validate() ?? "RLE does not cover the mask");
    }

    /// <summary>Decodes to a row-major <see cref="BinaryMask"/> (the project's layout).</summary>
    public BinaryMask ToMask()
    {
        string? problem = Validate();
        if (problem is not null) throw new InvalidOperationException(problem);
        var mask = new BinaryMask(Math.Max(Width, 1), Math.Max(Height, 1));
        if (Width == 0 || Height == 0) return mask;
        byte[] values = mask.Values;
        long p = 0;
        for (int j = 0; j < Counts.Length; j++)
        {
            uint c = Counts[j];
            if ((j & 1) == 1)
            {
                // A foreground run: walk it down columns, one contiguous stretch per column.
                long end = p + c;
                while (p < end)
                {
                    int x = (int)(p / Height), y = (int)(p % Height);
                    int n = (int)Math.Min(end - p, Height - y);
                    for (int k = 0; k < n; k++) values[(y + k) * Width + x] = 1;
                    p += n;
                }
            }
            else p += c;
        }
        return mask;
    }

    /// <summary>Encodes a row-major mask (maskApi.c <c>rleEncode</c> over the column-major order).</summary>
    public static Rle Encode(BinaryMask mask)
    {
        int h = mask.Height, w = mask.Width;
        var counts = new List<uint>();
        byte previous = 0;
        uint run = 0;
        byte[] values = mask.Values;
        for (int x = 0; x < w; x++)
            for (int y = 0; y < h; y++)
            {
                byte v = values[y * w + x] != 0 ? (byte)1 : (byte)0;
                if (v != previous) { counts.Add(run); run = 0; previous = v; }
                run++;
            }
        counts.Add(run);
        return new Rle(h, w, counts.ToArray());
    }

    /// <summary>Encodes a column-major mask of 0/1 bytes.</summary>
    public static Rle EncodeColumnMajor(ReadOnlySpan<byte> columnMajor, int height, int width)
    {
        var counts = new List<uint>();
        byte previous = 0;
        uint run = 0;
        int a = checked(height * width);
        for (int j = 0; j < a; j++)
        {
            byte v = columnMajor[j] != 0 ? (byte)1 : (byte)0;
            if (v != previous) { counts.Add(run); run = 0; previous = v; }
            run++;
        }
        counts.Add(run);
        return new Rle(height, width, counts.ToArray());
    }
}

/// <summary>An integer pixel box: left, top, width, height (COCO's bbox order).</summary>
public readonly record struct MaskBox(int X, int Y, int Width, int Height)
{
    public bool IsEmpty => Width <= 0 || Height <= 0;
}
