using System.Text.Json;
using Maskbench.Progress;

namespace Maskbench.Data.Coco;

/// <summary>
/// Reads the official COCO instances JSON (2014 and 2017 layouts; cocodataset.org/#format-data) without building
/// a document: a <see cref="Utf8JsonReader"/> walks the file once through a buffer; a record (one image, category
/// or annotation object) cut by the buffer's end is parsed again from its start after a refill, and the buffer
/// grows only when a single record is larger than it. Top-level keys may come in any order;
/// keys this project does not use (info, licenses, keypoints, ...) are skipped. After reading, every record is
/// checked against the others (image and category ids, RLE sizes) and errors name the record.
/// </summary>
public static class CocoAnnotationReader
{
    const int InitialBuffer = 1 << 20;

    public static CocoAnnotations Read(string path, IProgressSink? progress = null) => Read(path, progress, InitialBuffer);

    /// <summary>Tests pass a tiny first buffer so that records straddle refills and the buffer must grow.</summary>
    internal static CocoAnnotations Read(string path, IProgressSink? progress, int initialBuffer)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"annotation file {path} does not exist");
        var records = new CocoRecordParser(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        using (var task = (progress ?? NullProgress.Instance).Start($"reading {Path.GetFileName(path)}", stream.Length, "bytes"))
            ReadStream(path, stream, records, task, initialBuffer);
        return records.Index();
    }

    static void ReadStream(string path, Stream stream, CocoRecordParser records, IProgressTask task, int initialBuffer)
    {
        byte[] buffer = new byte[Math.Max(16, initialBuffer)];
        int start = 0, end = 0;
        long bufferOffset = 0;
        bool eof = false;
        var walker = new TopLevelWalker(records);
        var state = new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 });
        while (true)
        {
            if (!eof)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    bufferOffset += start;
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length) Array.Resize(ref buffer, checked(buffer.Length * 2));
                int n = stream.Read(buffer, end, buffer.Length - end);
                if (n == 0) eof = true;
                end += n;
                task.Advance(n);
            }
            var reader = new Utf8JsonReader(buffer.AsSpan(start, end - start), eof, state);
            bool done;
            try
            {
                done = walker.Step(ref reader, bufferOffset + start);
            }
            catch (JsonException e)
            {
                long line = (e.LineNumber ?? 0) + 1, column = (e.BytePositionInLine ?? 0) + 1;
                throw new DataFormatException(path, $"malformed JSON: {FirstSentence(e.Message)}",
                    $"line {line}, column {column} (byte {bufferOffset + start + reader.BytesConsumed})", e);
            }
            catch (InvalidOperationException e)
            {
                // Utf8JsonReader reports a string that is not valid UTF-8 only when its text is read.
                throw new DataFormatException(path, $"a string is not valid UTF-8 text ({e.Message})",
                    $"byte {bufferOffset + start + reader.BytesConsumed}", e);
            }
            start += (int)reader.BytesConsumed;
            state = reader.CurrentState;
            if (done) return;
            if (eof) throw new DataFormatException(path, "the JSON ends before its top-level object is closed", $"byte {bufferOffset + end}");
        }
    }

    static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd();
    }

    /// <summary>The top level: { "images": [ {..}, .. ], "annotations": [..], ... }. Hands whole records to the parser.</summary>
    sealed class TopLevelWalker(CocoRecordParser records)
    {
        enum Phase { Start, Root, InArray, Done }

        Phase phase = Phase.Start;
        CocoSection section;

        /// <summary>Consumes what it can; returns true at the end of the root object, false when it needs more bytes.</summary>
        public bool Step(ref Utf8JsonReader reader, long dataOffset)
        {
            while (true)
            {
                var checkpoint = reader;
                switch (phase)
                {
                    case Phase.Start:
                        if (!reader.Read()) { reader = checkpoint; return false; }
                        if (reader.TokenType != JsonTokenType.StartObject)
                            throw new DataFormatException(records.FilePath, "the file is not a JSON object (COCO instances files start with '{')",
                                $"byte {dataOffset + reader.TokenStartIndex}");
                        phase = Phase.Root;
                        break;
                    case Phase.Root:
                        if (!reader.Read()) { reader = checkpoint; return false; }
                        if (reader.TokenType == JsonTokenType.EndObject) { phase = Phase.Done; return true; }
                        section = CocoRecordParser.SectionOf(ref reader);
                        if (section == CocoSection.None)
                        {
                            if (!reader.TrySkip()) { reader = checkpoint; return false; }
                            break;
                        }
                        if (!reader.Read()) { reader = checkpoint; return false; }
                        if (reader.TokenType != JsonTokenType.StartArray)
                            throw new DataFormatException(records.FilePath, $"\"{CocoRecordParser.SectionName(section)}\" must be an array",
                                $"byte {dataOffset + reader.TokenStartIndex}");
                        phase = Phase.InArray;
                        break;
                    case Phase.InArray:
                        if (!reader.Read()) { reader = checkpoint; return false; }
                        if (reader.TokenType == JsonTokenType.EndArray) { phase = Phase.Root; break; }
                        if (reader.TokenType != JsonTokenType.StartObject)
                            throw new DataFormatException(records.FilePath,
                                $"\"{CocoRecordParser.SectionName(section)}\" holds a {reader.TokenType} where an object was expected",
                                $"byte {dataOffset + reader.TokenStartIndex}");
                        try
                        {
                            records.Parse(section, ref reader, dataOffset + reader.TokenStartIndex);
                        }
                        catch (CocoRecordParser.NeedMoreData)
                        {
                            reader = checkpoint;
                            return false;
                        }
                        break;
                    case Phase.Done:
                        return true;
                }
            }
        }
    }
}
