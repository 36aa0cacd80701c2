using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Maskbench.Models;
using Maskbench.Tests.Support;
using static TorchSharp.torch;

namespace Maskbench.Tests.Models;

public class SafeTensorsFileTests
{
    [Fact]
    public void Layout_follows_the_specification()
    {
        using var dir = new TempFolder();
        string path = dir["a.safetensors"];
        using var a = tensor(new float[] { 1f, -2.5f, 3f, 4f, 5f, 6f }).reshape(2, 3);
        using var b = tensor(new long[] { 7 });
        SafeTensorsFile.Write(path, [("a", a), ("b", b)], new Dictionary<string, string> { ["k"] = "v" });
        byte[] bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(' '))!.AsObject();
        Assert.Equal("v", header["__metadata__"]!["k"]!.GetValue<string>());
        Assert.Equal("F32", header["a"]!["dtype"]!.GetValue<string>());
        Assert.Equal("[2,3]", header["a"]!["shape"]!.ToJsonString());
        Assert.Equal("[0,24]", header["a"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("I64", header["b"]!["dtype"]!.GetValue<string>());
        Assert.Equal("[24,32]", header["b"]!["data_offsets"]!.ToJsonString());
        int data = 8 + (int)n;
        Assert.Equal(-2.5f, BitConverter.ToSingle(bytes, data + 4));
        Assert.Equal(7L, BitConverter.ToInt64(bytes, data + 24));
        Assert.Equal(data + 32, bytes.Length);
    }

    [Fact]
    public void Round_trip_keeps_names_order_and_bits()
    {
        using var dir = new TempFolder();
        string path = dir["b.safetensors"];
        manual_seed(1);
        using var x = randn(3, 4, 5);
        using var y = randint(0, 255, [7], dtype: ScalarType.Byte);
        SafeTensorsFile.Write(path, [("z.x", x), ("a.y", y)]);
        var (tensors, metadata) = SafeTensorsFile.Read(path);
        // The only metadata is the data section's SHA-256 (computed here independently from the file's bytes).
        byte[] bytes = File.ReadAllBytes(path);
        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(dataStart))), Assert.Single(metadata).Value);
        Assert.Equal(["z.x", "a.y"], tensors.Select(t => t.Name).ToArray());
        Assert.Equal(x.shape, tensors[0].Tensor.shape);
        Assert.True(tensors[0].Tensor.eq(x).all().item<bool>());
        Assert.True(tensors[1].Tensor.eq(y).all().item<bool>());
    }

    [Fact]
    public void Truncated_file_is_a_format_error_naming_the_tensor()
    {
        using var dir = new TempFolder();
        string path = dir["c.safetensors"];
        using var x = ones(10);
        SafeTensorsFile.Write(path, [("weight", x)]);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        var e = Assert.Throws<DataFormatException>(() => SafeTensorsFile.Read(path));
        Assert.Contains("weight", e.Message);
    }

    [Fact]
    public void Changed_tensor_bytes_are_refused_by_the_recorded_hash()
    {
        using var dir = new TempFolder();
        string path = dir["d.safetensors"];
        using var x = arange(64, dtype: ScalarType.Float32);
        SafeTensorsFile.Write(path, [("weight", x)]);
        byte[] bytes = File.ReadAllBytes(path);
        // Zero 16 bytes in the middle of the data: the header still parses, the shapes still fit.
        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Array.Clear(bytes, dataStart + 100, 16);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => SafeTensorsFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("SHA-256", e.Message);
    }

    /// <summary>JSON nulls where the format requires values: refused by name, without a null dereference inside the reader.</summary>
    [Theory]
    [InlineData("{\"w\":null}", "tensor 'w' is null")]
    [InlineData("{\"w\":{\"dtype\":null,\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'w' dtype is null")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,4]}}", "tensor 'w' shape is null")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", "tensor 'w' data_offsets is null")]
    [InlineData("{\"__metadata__\":{\"note\":null}}", "__metadata__ 'note' is null")]
    public void Null_values_in_the_header_are_refused_by_name(string header, string expected)
    {
        using var dir = new TempFolder();
        string path = dir["n.safetensors"];
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => SafeTensorsFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }
}
