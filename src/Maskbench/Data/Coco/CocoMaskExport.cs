using System.Text;
using System.Text.Json;
using Maskbench.Progress;
using Maskbench.Files;

namespace Maskbench.Data.Coco;

/// <summary>
/// Writes every annotation's decoded mask as one JSON line: id, image_id, the mask's pixel area and box, its size
/// and the compressed RLE string exactly as pycocotools' <c>encode</c> writes it — a form anyone can compare with
/// the COCO API line by line. Written to a temporary file and renamed when complete.
/// </summary>
public static class CocoMaskExport
{
    public static int Write(CocoAnnotations coco, string outputPath, IProgressSink progress)
    {
        AtomicFile.Write(outputPath, stream =>
        {
            using (var task = progress.Start("decoding masks", coco.Annotations.Count, "masks"))
            {
                // Blocks of annotations are decoded in parallel and written in file order, so the output is the same
                // on any number of cores.
                const int Block = 4096;
                var lines = new byte[Block][];
                for (int start = 0; start < coco.Annotations.Count; start += Block)
                {
                    int n = Math.Min(Block, coco.Annotations.Count - start);
                    try
                    {
                        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Runtime.ComputeThreads.For(0) }, i =>
                            lines[i] = Line(coco, coco.Annotations[start + i]));
                    }
                    catch (AggregateException e) when (e.InnerExceptions.Count > 0)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                    }
                    for (int i = 0; i < n; i++) stream.Write(lines[i]);
                    task.Advance(n);
                }
            }
        });
        return coco.Annotations.Count;
    }

    static byte[] Line(CocoAnnotations coco, CocoAnnotation a)
    {
        Rle rle;
        try { rle = coco.Mask(a); }
        catch (Exception e) when (e is RleFormatException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new DataFormatException(coco.FilePath, e.Message, $"annotation id {a.Id}");
        }
        string? problem = rle.Validate();
        if (problem is not null) throw new DataFormatException(coco.FilePath, problem, $"annotation id {a.Id}");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder =
            System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteLine(json, a, rle);
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    static void WriteLine(Utf8JsonWriter json, CocoAnnotation a, Rle rle)
    {
        var box = rle.ToBox();
        json.WriteStartObject();
        json.WriteNumber("id"u8, a.Id);
        json.WriteNumber("image_id"u8, a.ImageId);
        json.WriteNumber("area"u8, rle.Area);
        json.WriteStartArray("bbox"u8);
        json.WriteNumberValue(box.X); json.WriteNumberValue(box.Y); json.WriteNumberValue(box.Width); json.WriteNumberValue(box.Height);
        json.WriteEndArray();
        json.WriteStartArray("size"u8);
        json.WriteNumberValue(rle.Height); json.WriteNumberValue(rle.Width);
        json.WriteEndArray();
        // The counts alphabet includes '\\', '<', '>' and '`': the relaxed encoder escapes only what JSON requires.
        json.WriteString("counts"u8, rle.ToCompressedString());
        json.WriteEndObject();
    }
}
