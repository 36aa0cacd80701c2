using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Maskbench.Data;
using Maskbench.Data.Coco;
using Maskbench.Data.Gtsrb;
using Maskbench.Data.Images;
using Maskbench.Data.Mnist;
using Maskbench.Data.Store;
using Maskbench.Experiments;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Tests.Support;
using Maskbench.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Maskbench.Files;

namespace Maskbench.Tests.Fuzz;

/// <summary>
/// Every reader of user files, fed mutated files (<see cref="Mutations"/>): each input must give a clean refusal (a
/// <see cref="MaskbenchException"/>, which names the file) or a read whose result is consistent, never another
/// exception (an index out of range, an overflow, an out-of-memory from a size taken on trust), which the CLI would
/// report as an internal error. Where a strict prefix of a valid file cannot be valid (binary formats whose header
/// fixes the length), the truncation must be refused. The suite runs a few hundred inputs per reader;
/// MASKBENCH_FUZZ_ITERATIONS=100000 runs more, and MASKBENCH_FUZZ_REPORT=FILE appends one line of counts per reader.
/// </summary>
/// <remarks>
/// The readers allocate managed memory fast (a file's bytes, its parsed header, per input), so collections come often
/// while they run. They run alone, so that those collections never land inside another test's native calls: TorchSharp
/// 0.107 lets the collector finalize a temporary <c>Scalar</c> (made implicitly from a number: <c>x * 2</c>) or tensor
/// while a native call that uses it is still running (dotnet/TorchSharp#1496).
/// </remarks>
[Collection(AllocationHeavyCollection.Name)]
public class ReaderFuzzTests(ITestOutputHelper output)
{
    const int DefaultIterations = 250;

    static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("MASKBENCH_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : DefaultIterations;

    /// <summary>A valid input and whether its strict prefixes must all be refused.</summary>
    sealed record Seed(byte[] Bytes, bool PrefixesInvalid, string Name = "");

    void Fuzz(string reader, Seed[] seeds, Action<Seed, byte[]> read)
    {
        foreach (var seed in seeds) read(seed, seed.Bytes);   // the seeds themselves read cleanly
        int iterations = Iterations, refused = 0, accepted = 0;
        // A fixed seed per reader (string.GetHashCode is randomized per process), so that a failure repeats.
        var rng = new Random(reader.Aggregate(20261128, (h, c) => h * 31 + c));
        var failures = new List<string>();
        for (int i = 0; i < iterations && failures.Count < 5; i++)
        {
            var seed = seeds[rng.Next(seeds.Length)];
            var (kind, input) = Mutations.Next(rng, seed.Bytes);
            try
            {
                read(seed, input);
                if (seed.PrefixesInvalid && input.Length < seed.Bytes.Length && seed.Bytes.AsSpan().StartsWith(input))
                    failures.Add($"input {i} ({kind}): a {input.Length}-byte prefix of the {seed.Bytes.Length}-byte seed {seed.Name} was accepted");
                else accepted++;
            }
            catch (MaskbenchException) { refused++; }
            catch (Exception e)
            {
                string saved = Path.Combine(Path.GetTempPath(), $"maskbench-fuzz-{reader}-{i}.bin");
                File.WriteAllBytes(saved, input);
                failures.Add($"input {i} ({kind}, saved as {saved}): {e.GetType().Name}: "
                    + $"{e.Message.Split('\n')[0]}\n{e.StackTrace?.Split('\n').FirstOrDefault()}");
            }
        }
        string line = $"{reader}: {iterations} inputs, {accepted} read, {refused} refused cleanly, {failures.Count} internal errors";
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("MASKBENCH_FUZZ_REPORT") is { Length: > 0 } report) File.AppendAllText(report, line + "\n");
        Assert.True(failures.Count == 0, line + "\n" + string.Join("\n", failures));
    }

    static RgbImage Picture(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var image = new RgbImage(width, height);
        rng.NextBytes(image.Pixels);
        return image;
    }

    [Fact]
    public void Ppm()
    {
        var picture = Picture(5, 4, 1);
        byte[] binary = PpmCodec.Encode(picture);
        byte[] commented = [.. Encoding.ASCII.GetBytes("P6\n# a comment\n5 4\n255\n"), .. picture.Pixels];
        byte[] ascii = PpmCodec.Encode(picture, PpmFormat.Plain);
        Fuzz("ppm", [new(binary, true, "P6"), new(commented, true, "P6 with comment"), new(ascii, false, "P3")], (_, input) =>
        {
            var image = PpmCodec.Decode(input, "fuzz.ppm");
            Assert.True(image.Width > 0 && image.Height > 0 && image.Pixels.Length == image.Width * image.Height * 3);
        });
    }

    [Fact]
    public void JpegAndPng()
    {
        var picture = Picture(7, 5, 2);
        byte[] Encode(CompressedFormat format)
        {
            using var stream = new MemoryStream();
            SkiaImageCodec.Write(picture, stream, format);
            return stream.ToArray();
        }
        Fuzz("jpeg-png", [new(Encode(CompressedFormat.Png), false, "png"), new(Encode(CompressedFormat.Jpeg), false, "jpeg")], (_, input) =>
        {
            var image = SkiaImageCodec.Decode(input, "fuzz.img");
            Assert.True(image.Width > 0 && image.Height > 0 && image.Pixels.Length == image.Width * image.Height * 3);
        });
    }

    [Fact]
    public void GtsrbCsv()
    {
        using var temp = new TempFolder();
        string folder = temp["GTSRB/Final_Training/Images/00002"];
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "00000_00000.ppm"), PpmCodec.Encode(Picture(20, 22, 3)));
        File.WriteAllBytes(Path.Combine(folder, "00000_00001.ppm"), PpmCodec.Encode(Picture(24, 24, 4)));
        string csv = Path.Combine(folder, "GT-00002.csv");
        byte[] seed =
            Encoding.ASCII.GetBytes(
            "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n00000_00000.ppm;20;22;5;5;14;16;2\n00000_00001.ppm;24;24;5;6;18;18;2\n");
        Fuzz("gtsrb-csv", [new(seed, false, "csv")], (_, input) =>
        {
            File.WriteAllBytes(csv, input);
            foreach (var r in GtsrbReader.Open(temp["GTSRB"]).ReadTraining())
            {
                Assert.Equal(2, r.ClassId);
                Assert.True(r.Roi.X1 >= 0 && r.Roi.Y1 >= 0 && r.Roi.X1 <= r.Roi.X2 && r.Roi.Y1 <= r.Roi.Y2 && r.Roi.X2 < r.Width
                    && r.Roi.Y2 < r.Height);
                Assert.True(File.Exists(r.ImagePath));
            }
        });
    }

    [Fact]
    public void CocoJson()
    {
        using var temp = new TempFolder();
        var mask = new BinaryMask(12, 10);
        var rng = new Random(5);
        for (int i = 0; i < mask.Values.Length; i++) mask.Values[i] = (byte)(rng.Next(3) == 0 ? 1 : 0);
        var rle = Rle.Encode(mask);
        string json = "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 12, \"height\": 10}, {\"id\": 2, \"file_name\": \"b.jpg\", "
            + "\"width\": 8, \"height\": 6}], " +
            "\"categories\": [{\"id\": 3, \"name\": \"dog\"}, {\"id\": 4, \"name\": \"cat\", \"supercategory\": \"animal\"}], \"annotations\": [" +
            "{\"id\": 10, \"image_id\": 1, \"category_id\": 3, \"iscrowd\": 0, \"area\": 12.5, \"bbox\": [1, 1, 5, 5], \"segmentation\": [[1.5, 1, "
                + "6, 1.25, 6, 6, 1, 5.5], [8, 2, 11, 2, 10, 8]]}, " +
            "{\"id\": 11, \"image_id\": 1, \"category_id\": 4, \"iscrowd\": 1, \"segmentation\": {\"size\": [10, 12], \"counts\": ["
                + string.Join(", ", rle.Counts) + "]}}, " +
            "{\"id\": 12, \"image_id\": 1, \"category_id\": 3, \"segmentation\": {\"size\": [10, 12], \"counts\": \"" + rle.ToCompressedString()
                .Replace("\\", "\\\\") + "\"}}, " +
            "{\"id\": 13, \"image_id\": 2, \"category_id\": 4, \"segmentation\": [[0, 0, 4, 0, 4, 3]]}]}";
        string path = temp["instances.json"], masks = temp["masks.jsonl"];
        Fuzz("coco-json", [new(Encoding.UTF8.GetBytes(json), false, "instances")], (_, input) =>
        {
            File.WriteAllBytes(path, input);
            // A small first buffer makes records straddle refills (the reader's hardest path); then every mask is decoded.
            var coco = CocoAnnotationReader.Read(path, null, 16 + input.Length % 200);
            int lines = CocoMaskExport.Write(coco, masks, NullProgress.Instance);
            Assert.Equal(coco.Annotations.Count, lines);
        });
    }

    [Fact]
    public void RleStrings()
    {
        var rng = new Random(6);
        var seeds = new List<Seed>();
        foreach (var (h, w) in new[] { (10, 12), (1, 40), (7, 7) })
        {
            var mask = new BinaryMask(w, h);
            for (int i = 0; i < mask.Values.Length; i++) mask.Values[i] = (byte)(rng.Next(4) == 0 ? 1 : 0);
            seeds.Add(new(Encoding.ASCII.GetBytes(Rle.Encode(mask).ToCompressedString()), false, $"{h}x{w}"));
        }
        Fuzz("rle-string", [.. seeds], (seed, input) =>
        {
            int h = int.Parse(seed.Name.Split('x')[0]), w = int.Parse(seed.Name.Split('x')[1]);
            var rle = Rle.FromCompressedString(h, w, input);
            if (rle.Validate() is not null) return;   // counts that do not cover the image: refused by every caller
            var decoded = rle.ToMask();
            Assert.Equal(rle.Area, decoded.Values.Sum(v => (long)v));
        });
    }

    [Fact]
    public void MnistIdx()
    {
        using var temp = new TempFolder();
        byte[] Header(int magic, params int[] dims)
        {
            var b = new byte[4 + 4 * dims.Length];
            BinaryPrimitives.WriteInt32BigEndian(b, magic);
            for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
            return b;
        }
        var pixels = new byte[3 * 4 * 5];
        new Random(7).NextBytes(pixels);
        byte[] images = [.. Header(MnistIdxReader.ImagesMagic, 3, 4, 5), .. pixels];
        byte[] labels = [.. Header(MnistIdxReader.LabelsMagic, 3), 1, 7, 9];
        byte[] Gzip(byte[] raw)
        {
            using var memory = new MemoryStream();
            using (var gz = new GZipStream(memory, CompressionLevel.Fastest)) gz.Write(raw);
            return memory.ToArray();
        }
        string path = temp["idx"];
        Fuzz("mnist-idx", [new(images, true, "images"), new(labels, true, "labels"), new(Gzip(images), false, "images.gz")], (seed, input) =>
        {
            File.WriteAllBytes(path, input);
            if (seed.Name.StartsWith("labels", StringComparison.Ordinal))
                Assert.All(MnistIdxReader.ReadLabels(path), l => Assert.InRange(l, 0, 9));
            else
            {
                var read = MnistIdxReader.ReadImages(path);
                Assert.Equal((long)read.Count * read.Rows * read.Columns, read.Pixels.LongLength);
            }
        });
    }

    [Fact]
    public void Npy()
    {
        using var temp = new TempFolder();
        var bytes = new byte[2 * 3 * 4 * 3];
        new Random(8).NextBytes(bytes);
        NpyFile.Write<byte>(temp["u1.npy"], bytes, "|u1", [2, 3, 4, 3]);
        NpyFile.Write<long>(temp["i8.npy"], new long[] { 1, -2, 3, 4, 5 }, "<i8", [5]);
        string path = temp["fuzz.npy"];
        Fuzz("npy", [new(File.ReadAllBytes(temp["u1.npy"]), true, "|u1"), new(File.ReadAllBytes(temp["i8.npy"]), true, "<i8")], (seed, input) =>
        {
            File.WriteAllBytes(path, input);
            using var view = seed.Name == "|u1" ? NpyFile.Open(path, "|u1", -1, -1, -1, 3) : NpyFile.Open(path, "<i8", -1);
            Assert.Equal(view.Header.ElementCount * view.Header.ItemSize, view.Bytes(0, view.Header.ElementCount).Length);
        });
    }

    [Fact]
    public void SafeTensors()
    {
        using var temp = new TempFolder();
        using var a = arange(12, dtype: ScalarType.Float32).reshape(3, 4);
        using var b = tensor(new long[] { 5, -6 });
        SafeTensorsFile.Write(temp["seed.safetensors"], [("layer.weight", a), ("count", b)], new Dictionary<string,
            string> { ["note"] = "fuzz seed" });
        string path = temp["fuzz.safetensors"];
        Fuzz("safetensors", [new(File.ReadAllBytes(temp["seed.safetensors"]), true, "seed")], (_, input) =>
        {
            File.WriteAllBytes(path, input);
            var (tensors, _) = SafeTensorsFile.Read(path);
            foreach (var (_, t) in tensors) t.Dispose();
        });
    }

    [Fact]
    public void Checkpoints()
    {
        using var temp = new TempFolder();
        manual_seed(9);
        using var model = ModelFactory.Create("smallcnn", 2, 28, channels: 1, width: 0.25);
        Checkpoint.Save(temp["seed.ckpt"], model, null, 3, ["{\"epoch\":1}", "{\"epoch\":2}", "{\"epoch\":3}"]);
        using var target = ModelFactory.Create("smallcnn", 2, 28, channels: 1, width: 0.25);
        string path = temp["fuzz.ckpt"];
        Fuzz("checkpoint", [new(File.ReadAllBytes(temp["seed.ckpt"]), true, "seed")], (_, input) =>
        {
            File.WriteAllBytes(path, input);
            var (epoch, lines) = Checkpoint.Load(path, target, null);
            Assert.True(epoch >= 0);
            Assert.NotNull(lines);
        });
    }

    [Fact]
    public void CellJson()
    {
        using var temp = new TempFolder();
        var training = new CellResult
        {
            Key = new string('a', 64), Id = "train/natural-plain", Kind = CellSpec.Train, Seconds = 12.5,
            Parameters = new() { ["model.arch"] = "vgg11", ["model.epochs"] = "12" }, Inputs = new() { ["dataset.sha256"] = new string('b', 64) },
            Training = new TrainingRecord { Checkpoint = "runs/x/last.ckpt", CheckpointSha256 = new string('c', 64),
                Curve = [new() { ["epoch"] = 1, ["loss"] = 0.75 }] },
        };
        var evaluation = new CellResult
        {
            Key = new string('d', 64), Id = "eval/natural-plain/pgd", Kind = CellSpec.Evaluate, Seconds = 3,
            Parameters = new() { ["attack"] = "pgd", ["attack.epsilon"] = "0.0313725" }, Inputs = new() { ["model.cellKey"] = new string('a', 64) },
            Evaluation = new EvaluationRecord { Indices = [0, 1, 2, 5], Labels = [1, 0, 2, 2], ForegroundFractions = [0.25, 0.5, 0.125, 1],
                Correct = "1011" },
        };
        string path = temp["cell.json"];
        Fuzz("cell-json", [new(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(training, JsonFormat.Options)), false, "train"),
            new(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(evaluation, JsonFormat.Options)), false, "eval")], (_, input) =>
        {
            File.WriteAllBytes(path, input);
            var cell = CellStore.Read(path);
            // What the report relies on: per-example arrays of one length, outcomes of 0 and 1, the training record.
            if (cell.Evaluation is { } e)
            {
                Assert.All(new[] { e.Indices.Length, e.Labels.Length, e.ForegroundFractions.Length }, n => Assert.Equal(e.Correct.Length, n));
                Assert.True(e.Accuracy is >= 0 and <= 1);
            }
            else Assert.Equal(64, cell.Training!.CheckpointSha256.Length);
        });
    }

    /// <summary>Inputs the fuzzing found, kept as plain cases: each was an internal error before its fix.</summary>
    [Fact]
    public void Inputs_found_by_fuzzing_are_refused_cleanly()
    {
        using var temp = new TempFolder();
        // A .npy shape whose byte count overflows 64 bits (was an OverflowException).
        string npy = temp["huge.npy"];
        NpyFile.Write<byte>(npy, new byte[6], "|u1", [2, 3]);
        string text = Encoding.Latin1.GetString(File.ReadAllBytes(npy)).Replace("(2, 3)", "(9223372036854775807, 3)");
        File.WriteAllBytes(npy, Encoding.Latin1.GetBytes(text));
        Assert.Contains("more bytes than any file can", Assert.Throws<DataFormatException>(() => NpyFile.Open(npy, "|u1", -1, -1)).Message);

        // A COCO string that is not UTF-8 (was an InvalidOperationException from the JSON reader).
        string json = temp["bad-utf8.json"];
        File.WriteAllBytes(json, [.. Encoding.ASCII.GetBytes("{\"images\": [{\"id\": 1, \"file_name\": \"a"), 0xff, 0xfe,
            .. Encoding.ASCII.GetBytes(".jpg\", \"width\": 4, \"height\": 3}], \"categories\": [], \"annotations\": []}")]);
        var e = Assert.Throws<DataFormatException>(() => CocoAnnotationReader.Read(json));
        Assert.Contains("UTF-8", e.Message);
        Assert.Contains(json, e.Message);

        // A cell file whose per-example arrays disagree (the report would index past an array).
        string cell = temp["cell.json"];
        File.WriteAllText(cell, """{"key": "k", "id": "eval/x/pgd", "kind": "eval", "parameters": {}, "inputs": {}, "evaluation": """
            + """{"indices": [0, 1], "labels": [1], "foregroundFractions": [0.5, 0.5], "correct": "10"}}""");
        Assert.Contains("disagree in length", Assert.Throws<DataFormatException>(() => CellStore.Read(cell)).Message);
    }
}

/// <summary>Tests that allocate managed memory fast enough to provoke collections in every other running test: run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationHeavyCollection
{
    public const string Name = "allocation-heavy tests (run alone)";
}
