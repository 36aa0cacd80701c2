using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maskbench.Data.Gtsrb;
using Maskbench.Data.Images;
using Maskbench.Progress;
using Maskbench.Files;

namespace Maskbench.Data.Synthetic;

/// <param name="Classes">How many of the <see cref="SignDesigns.All"/> designs to use (class ids 0..K-1).</param>
/// <param name="TrackLength">Training images per track (one physical sign seen several times, GTSRB-style).</param>
public sealed record SyntheticGtsrbOptions(int Classes = 43, int TrainPerClass = 30, int TestPerClass = 10, int Seed = 0, int TrackLength = 6,
    int Workers = 0);

/// <summary>
/// Writes a synthetic data set in the exact layout of the official GTSRB downloads (P6 PPM images,
/// <c>Final_Training/Images/000NN/GT-000NN.csv</c>, <c>Final_Test/Images/GT-final_test.csv</c> with ClassId,
/// <c>TTTTT_IIIII.ppm</c> training names with several images per track), plus what real GTSRB lacks: the true
/// foreground masks under <c>TrueMasks/</c> (same relative names, <c>.png</c>) and a marker file naming the classes.
/// The output is byte-identical for the same options, whatever the worker count; it is written into a temporary
/// folder and renamed when complete.
/// </summary>
public static class SyntheticGtsrb
{
    const string CsvHeader = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId";

    sealed record Job(bool Test, int ClassId, int Track, int Index, string ImagePath, string MaskPath);

    public static void Write(string outFolder, SyntheticGtsrbOptions options, IProgressSink progress)
    {
        Validate(options);
        string target = Path.GetFullPath(outFolder);
        if (File.Exists(target) || (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()))
            throw new MaskbenchException($"{outFolder}: already exists and is not empty; choose another --out or remove it");
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        try
        {
            WriteInto(temp, options, progress);
            if (Directory.Exists(target)) Directory.Delete(target);
            Directory.Move(temp, target);
        }
        catch
        {
            try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); } catch (IOException) { }
            throw;
        }
    }

    static void Validate(SyntheticGtsrbOptions o)
    {
        if (o.Classes < 1 || o.Classes > SignDesigns.All.Count) throw new MaskbenchException(
            $"--classes must be 1 to {SignDesigns.All.Count}, got {o.Classes}");
        if (o.TrainPerClass < 1) throw new MaskbenchException($"--train-per-class must be at least 1, got {o.TrainPerClass}");
        if (o.TestPerClass < 0) throw new MaskbenchException($"--test-per-class must be 0 or more, got {o.TestPerClass}");
        if (o.TrackLength < 1) throw new MaskbenchException($"the track length must be at least 1, got {o.TrackLength}");
    }

    static void WriteInto(string root, SyntheticGtsrbOptions o, IProgressSink progress)
    {
        var jobs = PlanJobs(root, o);
        foreach (string folder in jobs.Select(j => Path.GetDirectoryName(j.ImagePath)!).Concat(jobs.Select(j => Path.GetDirectoryName(j.MaskPath)!))
            .Distinct())
            Directory.CreateDirectory(folder);

        var rows = new string[jobs.Count];
        var gate = new object();
        using (var task = progress.Start("synthesizing GTSRB images", jobs.Count, "images"))
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Runtime.ComputeThreads.For(o.Workers) };
            Parallel.For(0, jobs.Count, parallel, i =>
            {
                var job = jobs[i];
                var sample = Render(job, o.Seed);
                ImageFile.Save(sample.Image, job.ImagePath);
                ImageFile.SaveMask(sample.Mask, job.MaskPath);
                var r = sample.Roi;
                rows[i] = string.Create(CultureInfo.InvariantCulture,
                    $"{Path.GetFileName(job.ImagePath)};{sample.Image.Width};{sample.Image.Height};{r.X1};{r.Y1};{r.X2};{r.Y2};{job.ClassId}");
                lock (gate) task.Advance();
            });
        }

        for (int c = 0; c < o.Classes; c++)
        {
            var classRows = Enumerable.Range(0, jobs.Count).Where(i => !jobs[i].Test && jobs[i].ClassId == c).Select(i => rows[i]);
            WriteCsv(Path.Combine(root, "Final_Training", "Images", $"{c:D5}", $"GT-{c:D5}.csv"), classRows);
        }
        if (o.TestPerClass > 0)
        {
            // The official test CSV lists the images in file-name order.
            var testRows = Enumerable.Range(0, jobs.Count).Where(i => jobs[i].Test)
                .OrderBy(i => Path.GetFileName(jobs[i].ImagePath), StringComparer.Ordinal).Select(i => rows[i]);
            WriteCsv(Path.Combine(root, "Final_Test", "Images", "GT-final_test.csv"), testRows);
        }
        WriteMarker(root, o);
    }

    static List<Job> PlanJobs(string root, SyntheticGtsrbOptions o)
    {
        var jobs = new List<Job>();
        for (int c = 0; c < o.Classes; c++)
        {
            for (int n = 0; n < o.TrainPerClass; n++)
            {
                int track = n / o.TrackLength, index = n % o.TrackLength;
                string name = $"{track:D5}_{index:D5}";
                jobs.Add(new Job(false, c, track, index,
                    Path.Combine(root, "Final_Training", "Images", $"{c:D5}", name + ".ppm"),
                    Path.Combine(root, GtsrbGroundTruth.TrueMasksFolder, "Final_Training", $"{c:D5}", name + ".png")));
            }
        }
        // Test images come from signs of their own and are numbered in a shuffled class order, as in GTSRB.
        int testCount = o.Classes * o.TestPerClass;
        var order = Enumerable.Range(0, testCount).ToArray();
        new Random(DerivedSeed.Of(o.Seed, 7)).Shuffle(order);
        for (int k = 0; k < testCount; k++)
        {
            int c = order[k] / o.TestPerClass, n = order[k] % o.TestPerClass;
            string name = $"{k:D5}";
            jobs.Add(new Job(true, c, n, 0,
                Path.Combine(root, "Final_Test", "Images", name + ".ppm"),
                Path.Combine(root, GtsrbGroundTruth.TrueMasksFolder, "Final_Test", name + ".png")));
        }
        return jobs;
    }

    static SignSample Render(Job job, int seed)
    {
        int split = job.Test ? 1 : 0;
        var trackRandom = new Random(DerivedSeed.Of(seed, split, job.ClassId, job.Track));
        var baseView = SignView.Random(trackRandom);
        int sceneSeed = trackRandom.Next();
        var random = new Random(DerivedSeed.Of(seed, split, job.ClassId, job.Track, job.Index + 1));
        var view = baseView.Along(job.Index, random);
        return SignImageRenderer.Render(SignDesigns.All[job.ClassId], view, new Random(sceneSeed), random);
    }

    static void WriteCsv(string path, IEnumerable<string> rows)
    {
        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (string row in rows) text.Append(row).Append('\n');
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
    }

    static void WriteMarker(string root, SyntheticGtsrbOptions o)
    {
        var names = new JsonArray();
        foreach (var design in SignDesigns.All.Take(o.Classes)) names.Add(design.Name);
        var marker = new JsonObject
        {
            ["generator"] = "maskbench synth gtsrb",
            ["seed"] = o.Seed,
            ["classes"] = o.Classes,
            ["train_per_class"] = o.TrainPerClass,
            ["test_per_class"] = o.TestPerClass,
            ["track_length"] = o.TrackLength,
            ["true_masks"] = GtsrbGroundTruth.TrueMasksFolder,
            ["class_names"] = names,
        };
        File.WriteAllText(Path.Combine(root, GtsrbGroundTruth.MarkerFileName), marker.ToJsonString(JsonFormat.Options) + "\n");
    }
}
