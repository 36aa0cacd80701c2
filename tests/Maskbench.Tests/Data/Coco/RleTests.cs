using Maskbench.Data;
using Maskbench.Data.Coco;

namespace Maskbench.Tests.Data.Coco;

public class RleTests
{
    // Worked by hand from maskApi.c rleToString: 5-bit groups + 48, 0x20 = more groups, 0x10 of the last = sign,
    // counts from the fourth on stored as the difference to the count two before.
    [Theory]
    [InlineData(new uint[] { 3 }, "3")]
    [InlineData(new uint[] { 0, 5, 27 }, "05k0")]      // 27 = 0b11011 has the 0x10 bit: 27|0x20 = 59 -> 107 'k', then a zero group
    [InlineData(new uint[] { 1, 2, 3, 5 }, "1233")]    // 5 is stored as 5 - 2
    [InlineData(new uint[] { 1, 5, 3, 2 }, "153M")]    // 2 - 5 = -3: one group 29 with the sign bit
    [InlineData(new uint[] { 100 }, "T3")]             // 100 = 4 + 3*32: groups 4|0x20 and 3
    public void Compressed_strings_match_hand_worked_cases(uint[] counts, string expected)
    {
        Assert.Equal(expected, RleString.Encode(counts));
        Assert.Equal(counts, RleString.Decode(System.Text.Encoding.ASCII.GetBytes(expected)));
    }

    [Fact]
    public void Random_masks_survive_encode_string_decode()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 200; trial++)
        {
            int h = random.Next(1, 40), w = random.Next(1, 40);
            double density = random.NextDouble();
            var mask = new BinaryMask(w, h);
            // Blocks and noise, so runs are long and short and span columns.
            for (int i = 0; i < mask.Values.Length; i++) mask.Values[i] = random.NextDouble() < density ? (byte)1 : (byte)0;
            if (trial % 3 == 0) for (int y = 0; y < h; y++) for (int x = 0; x < w / 2; x++) mask[x, y] = 1;
            var rle = Rle.Encode(mask);
            Assert.Null(rle.Validate());
            Assert.Equal(mask.CountForeground(), rle.Area);
            var back = Rle.FromCompressedString(h, w, rle.ToCompressedString());
            Assert.Equal(rle.Counts, back.Counts);
            Assert.Equal(mask.Values, back.ToMask().Values);
            Assert.Equal(BruteForceBox(mask), rle.ToBox());
            var columnMajor = new byte[h * w];
            back.DecodeColumnMajor(columnMajor);
            for (int x = 0; x < w; x++) for (int y = 0; y < h; y++) Assert.Equal(mask[x, y], columnMajor[x * h + y]);
            Assert.Equal(rle.Counts, Rle.EncodeColumnMajor(columnMajor, h, w).Counts);
        }
    }

    [Fact]
    public void Large_counts_and_long_differences_round_trip()
    {
        uint[] counts = [0, 307_200, 0, 1, 300_000, 7, 2, 123_456, 1];
        Assert.Equal(counts, RleString.Decode(System.Text.Encoding.ASCII.GetBytes(RleString.Encode(counts))));
    }

    [Fact]
    public void Union_and_intersection_agree_with_pixelwise_logic()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 100; trial++)
        {
            int h = random.Next(1, 20), w = random.Next(1, 20), n = random.Next(1, 4);
            var masks = Enumerable.Range(0, n).Select(_ =>
            {
                var m = new BinaryMask(w, h);
                for (int i = 0; i < m.Values.Length; i++) m.Values[i] = random.Next(3) == 0 ? (byte)1 : (byte)0;
                return m;
            }).ToList();
            var rles = masks.Select(Rle.Encode).ToList();
            var union = RleMerge.Union(rles).ToMask();
            var inter = RleMerge.Intersection(rles).ToMask();
            for (int i = 0; i < h * w; i++)
            {
                Assert.Equal(masks.Any(m => m.Values[i] == 1) ? 1 : 0, union.Values[i]);
                Assert.Equal(masks.All(m => m.Values[i] == 1) ? 1 : 0, inter.Values[i]);
            }
            // The merged runs are canonical: identical to encoding the merged mask directly.
            Assert.Equal(Rle.Encode(union).Counts, RleMerge.Union(rles).Counts);
        }
    }

    [Fact]
    public void Box_of_a_run_wrapping_into_the_next_column_spans_all_rows()
    {
        // 4 high: foreground from (x0, y3) to (x1, y0) is one run of 2 crossing the column boundary.
        var rle = new Rle(4, 3, [3, 2, 7]);
        Assert.Equal(new MaskBox(0, 0, 2, 4), rle.ToBox());
        Assert.Equal(default, new Rle(4, 3, [12]).ToBox());
    }

    [Fact]
    public void Malformed_strings_are_refused()
    {
        Assert.Throws<RleFormatException>(() => RleString.Decode("3p"u8));      // 'p' is past 'o'
        Assert.Throws<RleFormatException>(() => RleString.Decode("Q"u8));       // 0x20 set: a group must follow
        Assert.NotNull(new Rle(2, 2, [1, 2]).Validate());
    }

    static MaskBox BruteForceBox(BinaryMask m)
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
        for (int y = 0; y < m.Height; y++)
            for (int x = 0; x < m.Width; x++)
                if (m[x, y] == 1) { x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x); y1 = Math.Max(y1, y); }
        return x1 < 0 ? default : new MaskBox(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }
}
