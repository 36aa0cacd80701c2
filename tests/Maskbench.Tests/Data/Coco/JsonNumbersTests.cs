using System.Globalization;
using System.Text;
using System.Text.Json;
using Maskbench.Data.Coco;

namespace Maskbench.Tests.Data.Coco;

public class JsonNumbersTests
{
    /// <summary>The fast path must give the very double the framework's parser gives: rasterization depends on every bit.</summary>
    [Fact]
    public void Fast_decimals_equal_the_framework_parser_bit_for_bit()
    {
        var random = new Random(3);
        var texts = new List<string> { "0", "-0", "0.1", "0.7", "239.97", "-12.345", "1e5", "2.5E-3", "123456789012345", "1234567890123456789",
            "0.30000000000000004", "9007199254740993", "640", "479.99999999999994" };
        for (int i = 0; i < 20000; i++)
        {
            int whole = random.Next(0, 100000), decimals = random.Next(0, 8);
            string frac = decimals == 0 ? "" : "." + string.Concat(Enumerable.Range(0, decimals).Select(_ => (char)('0' + random.Next(10))));
            texts.Add((random.Next(8) == 0 ? "-" : "") + whole + frac);
        }
        foreach (string text in texts)
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes("[" + text + "]"));
            reader.Read();
            reader.Read();
            double expected = double.Parse(text, CultureInfo.InvariantCulture);
            Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(JsonNumbers.ToDouble(ref reader)), text);
        }
    }
}
